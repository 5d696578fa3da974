/** A Step Functions state machine in memory, for the API and guard tests. */
import { executionArnOf } from '../../../functions/aws/sfn.js';
import { NotFoundError } from '../../../functions/core/errors.js';
import type { ExecutionInfo, ExecutionStatus, Workflow } from '../../../functions/ports.js';
import { STATE_MACHINE_ARN } from './rollouts.js';

export interface FakeExecution {
  name: string;
  input: unknown;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt?: string;
  error?: string;
  cause?: string;
  /** State inputs and outputs, oldest first, as the history would hold them. */
  history: unknown[];
}

export class FakeWorkflow implements Workflow {
  readonly executions = new Map<string, FakeExecution>();
  readonly calls: { op: string; args: unknown[] }[] = [];
  /** The next StartExecution fails with this. */
  failStart?: Error;
  /** The next DescribeExecution fails with this. */
  failDescribe?: Error;

  constructor(private readonly now: () => number) {}

  executionArnFor(name: string): string {
    return executionArnOf(STATE_MACHINE_ARN, name);
  }

  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    this.calls.push({ op: 'start', args: [name, input] });
    if (this.failStart) {
      const error = this.failStart;
      this.failStart = undefined;
      throw error;
    }
    const arn = this.executionArnFor(name);
    // Step Functions' name rule: an execution of that name, whatever its input or status, was started already.
    if (this.executions.has(arn)) return { executionArn: arn, alreadyStarted: true };
    this.executions.set(arn, { name, input, status: 'RUNNING', startedAt: new Date(this.now()).toISOString(), history: [] });
    return { executionArn: arn, alreadyStarted: false };
  }

  async stop(executionArn: string, reason: { error: string; cause: string }): Promise<void> {
    this.calls.push({ op: 'stop', args: [executionArn, reason] });
    const execution = this.executions.get(executionArn);
    if (!execution) throw new NotFoundError(`StopExecution ${executionArn}: Execution Does Not Exist`);
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, { status: 'ABORTED', stoppedAt: new Date(this.now()).toISOString(), error: reason.error, cause: reason.cause });
  }

  async describe(executionArn: string): Promise<ExecutionInfo> {
    this.calls.push({ op: 'describe', args: [executionArn] });
    if (this.failDescribe) {
      const error = this.failDescribe;
      this.failDescribe = undefined;
      throw error;
    }
    const e = this.executions.get(executionArn);
    if (!e) throw new NotFoundError(`DescribeExecution ${executionArn}: Execution Does Not Exist`);
    return {
      executionArn,
      name: e.name,
      status: e.status,
      startedAt: e.startedAt,
      ...(e.stoppedAt ? { stoppedAt: e.stoppedAt } : {}),
      ...(e.error ? { error: e.error } : {}),
      ...(e.cause ? { cause: e.cause } : {}),
      input: structuredClone(e.input),
    };
  }

  async findInHistory<T>(executionArn: string, pick: (data: unknown) => T | undefined): Promise<T | undefined> {
    this.calls.push({ op: 'findInHistory', args: [executionArn] });
    const e = this.executions.get(executionArn);
    for (const data of [...(e?.history ?? [])].reverse()) {
      const found = pick(structuredClone(data));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Sets an execution up as the guard would find it. */
  put(executionArn: string, execution: Partial<FakeExecution> & { status: ExecutionStatus }): void {
    this.executions.set(executionArn, { name: executionArn.split(':').at(-1) ?? '', input: {}, startedAt: new Date(this.now()).toISOString(), history: [], ...execution });
  }
}
