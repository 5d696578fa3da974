/** TaskTokens over the AWS SDK v3 Step Functions client: SendTaskSuccess and SendTaskFailure. */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { NotFoundError } from '../core/errors.js';
import type { TaskTokens } from '../ports.js';
import { toRolloutError } from './errors.js';

/** SendTaskFailure keeps at most this much of an error name and of a cause. */
export const MAX_TASK_ERROR_CHARS = 256;
export const MAX_TASK_CAUSE_CHARS = 32_768;

// The task behind the token is no longer waiting: it was answered, it timed out, or its execution ended.
const CLOSED = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

async function send(context: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && CLOSED.has(name)) throw new NotFoundError(`${context}: the task is no longer waiting (${name})`, { cause: error });
    throw toRolloutError(error, context);
  }
}

/** Task token answers through an `SFNClient`. Every failure is a `core/errors.ts` class. */
export class SfnTaskTokens implements TaskTokens {
  constructor(private readonly client: SFNClient) {}

  async succeed(token: string, output: unknown): Promise<void> {
    await send('SendTaskSuccess', () => this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? {}) })));
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    await send('SendTaskFailure', () =>
      this.client.send(new SendTaskFailureCommand({ taskToken: token, error: clip(error, MAX_TASK_ERROR_CHARS), cause: clip(cause, MAX_TASK_CAUSE_CHARS) })),
    );
  }
}
