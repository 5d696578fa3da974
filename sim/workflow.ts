/**
 * The rollout state machine in the rehearsal: the twin of `functions/aws/sfn.ts` for the executions
 * the workflow starts of itself (a long rollout continuing in a new execution). Starting one only
 * records it; the runner (`runner.ts`) runs each started execution after the one running now, on
 * the same virtual clock, and tells this registry how each ended.
 */
import { NotFoundError } from '../functions/core/errors.js';
import type { ExecutionInfo, ExecutionStatus, Workflow } from '../functions/ports.js';

/** The state machine of every rehearsal. */
export const SIM_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-rollout';

/** An execution as the rehearsal knows it. */
export interface SimExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly input: unknown;
  status: ExecutionStatus;
  /** Epoch ms. */
  readonly startedAt: number;
  stoppedAt?: number | undefined;
  error?: string | undefined;
  cause?: string | undefined;
  /** The newest rollout state the execution held: what the guard looks for in a history. */
  lastState?: unknown;
}

/** The rollout state machine's executions in memory. */
export class SimWorkflow implements Workflow {
  readonly executions = new Map<string, SimExecution>();
  private readonly waiting: SimExecution[] = [];
  private readonly aborts = new Map<string, () => void>();

  constructor(
    private readonly now: () => number,
    readonly stateMachineArn = SIM_STATE_MACHINE_ARN,
  ) {}

  /** `arn:...:execution:<state machine>:<name>`, as Step Functions names executions. */
  executionArnFor(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  /** StartExecution: an execution of that name, whatever its input or status, was started already. */
  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const executionArn = this.executionArnFor(name);
    if (this.executions.has(executionArn)) return { executionArn, alreadyStarted: true };
    this.waiting.push(this.record(name, input));
    return { executionArn, alreadyStarted: false };
  }

  /**
   * The execution the runner starts itself (a rehearsal's first), recorded as running. The
   * rehearsal may reuse a name a previous run in the same world used: the newer run replaces it.
   */
  begin(name: string, input: unknown): SimExecution {
    return this.record(name, input);
  }

  /** The next execution started and not yet run, oldest first. */
  nextStarted(): SimExecution | undefined {
    return this.waiting.shift();
  }

  /** The runner registers how to abort the execution it is running (StopExecution). */
  running(executionArn: string, abort: () => void): void {
    this.aborts.set(executionArn, abort);
  }

  /** The runner tells how an execution ended, and the newest rollout state it held. */
  ended(executionArn: string, status: ExecutionStatus, end: { readonly failure?: { readonly Error: string; readonly Cause: string } | undefined; readonly lastState?: unknown }): void {
    this.aborts.delete(executionArn);
    const execution = this.executions.get(executionArn);
    if (!execution) return;
    execution.lastState = end.lastState;
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, { status, stoppedAt: this.now(), error: end.failure?.Error, cause: end.failure?.Cause });
  }

  async stop(executionArn: string, reason: { error: string; cause: string }): Promise<void> {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new NotFoundError(`StopExecution ${executionArn}: Execution Does Not Exist`);
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, { status: 'ABORTED', stoppedAt: this.now(), error: reason.error, cause: reason.cause });
    const waiting = this.waiting.indexOf(execution);
    if (waiting >= 0) this.waiting.splice(waiting, 1);
    this.aborts.get(executionArn)?.();
  }

  async describe(executionArn: string): Promise<ExecutionInfo> {
    const e = this.executions.get(executionArn);
    if (!e) throw new NotFoundError(`DescribeExecution ${executionArn}: Execution Does Not Exist`);
    return {
      executionArn,
      name: e.name,
      status: e.status,
      startedAt: new Date(e.startedAt).toISOString(),
      ...(e.stoppedAt !== undefined ? { stoppedAt: new Date(e.stoppedAt).toISOString() } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  }

  /** The rehearsal keeps an execution's newest rollout state only: `pick` is asked about that one. */
  async findInHistory<T>(executionArn: string, pick: (data: unknown) => T | undefined): Promise<T | undefined> {
    const e = this.executions.get(executionArn);
    return e?.lastState === undefined ? undefined : pick(e.lastState);
  }

  private record(name: string, input: unknown): SimExecution {
    const execution: SimExecution = { executionArn: this.executionArnFor(name), name, input, status: 'RUNNING', startedAt: this.now() };
    this.executions.set(execution.executionArn, execution);
    return execution;
  }
}
