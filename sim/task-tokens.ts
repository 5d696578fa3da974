/**
 * Task tokens in process. aws-local-stepfunctions runs a `.waitForTaskToken` state as a plain task
 * whose result is what its local handler returns; the runner binds such states to a handler that
 * issues a token here, runs the task function with it, and waits, in virtual time, for someone to
 * answer the token (a hook calling back, the API waking a wait). The interpreter's TimeoutSeconds
 * ends a wait nobody answers, as Step Functions does, with States.Timeout.
 */
import { NotFoundError } from '../functions/core/errors.js';
import type { TaskTokens } from '../functions/ports.js';

/** How a token was answered: SendTaskSuccess's output, or SendTaskFailure's error and cause. */
export type TokenAnswer = { readonly output: unknown } | { readonly error: string; readonly cause: string };

/** An error as Step Functions reports a SendTaskFailure: its name is the error the Catch matches. */
export class TaskFailure extends Error {
  constructor(
    override readonly name: string,
    cause: string,
  ) {
    super(cause);
  }
}

export class SimTaskTokens implements TaskTokens {
  /** Every answer given, in order, for tests and reports. */
  readonly answers: ({ readonly token: string; readonly at: number } & TokenAnswer)[] = [];
  private readonly waiting = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void }>();
  private issued = 0;

  /** A new token and the promise of its answer: the output, or a TaskFailure. */
  issue(): { token: string; answer: Promise<unknown> } {
    this.issued += 1;
    const token = `sim-task-token-${this.issued}`;
    const answer = new Promise<unknown>((resolve, reject) => this.waiting.set(token, { resolve, reject }));
    return { token, answer };
  }

  /** Stops waiting for a token (its state ended another way): answers to it are refused from now on. */
  close(token: string): void {
    this.waiting.delete(token);
  }

  async succeed(token: string, output: unknown): Promise<void> {
    this.take(token).resolve(output);
    this.answers.push({ token, at: Date.now(), output });
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    this.take(token).reject(new TaskFailure(error, cause));
    this.answers.push({ token, at: Date.now(), error, cause });
  }

  private take(token: string) {
    const waiter = this.waiting.get(token);
    if (!waiter) throw new NotFoundError(`the task of token ${token} is no longer waiting (TaskTimedOut)`);
    this.waiting.delete(token);
    return waiter;
  }
}
