/**
 * The rollout state machine in memory: StartExecution runs the real workflow definition in a
 * `SimWorld` (one execution at a time: the world has one clock), StopExecution aborts it,
 * DescribeExecution and the history read what the run did, and an execution that stops without
 * finishing (aborted, failed, timed out) is handed to the guard, as the EventBridge rule does on
 * AWS. The API, the CLI's local service and the `Custom::LambdaRollout` provider are tested
 * against it, so against the real workflow.
 */
import { NotFoundError } from '../functions/core/errors.js';
import type { ExecutionInfo, ExecutionStatus, Workflow } from '../functions/ports.js';
import { type GuardResult, makeGuard } from '../functions/tasks/guard.js';
import type { EventLog, RunWorkflowOptions, WorkflowRun } from './runner.js';
import type { SimWorld } from './world.js';

/** The state machine the runner names its executions after. */
export const SIM_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-rollout';

/** One execution: what DescribeExecution says of it, its run once over, and how to stop it. */
export interface SimExecution {
  readonly name: string;
  readonly input: unknown;
  status: ExecutionStatus;
  readonly startedAt: string;
  stoppedAt?: string;
  error?: string;
  cause?: string;
  /** Aborting it stops the run, as StopExecution does. */
  readonly stop: AbortController;
  run?: WorkflowRun;
  /** Settles once the run, and the guard after it, are done. */
  done?: Promise<void>;
}

export interface SimWorkflowOptions {
  /**
   * Paced runs, for a local service others watch as it goes (see `RunWorkflowOptions.pace`);
   * traffic is then generated as each state exits, not only when metrics are read.
   */
  readonly pace?: RunWorkflowOptions['pace'];
}

/** The data a history event carries: what a state received or passed on. */
function dataOf(event: EventLog): unknown[] {
  const state = (event as { state?: { input?: unknown; output?: unknown } }).state;
  return [state?.output, state?.input];
}

export class SimWorkflow implements Workflow {
  readonly executions = new Map<string, SimExecution>();
  /** What the guard did for each execution that stopped without finishing. */
  readonly guarded: GuardResult[] = [];
  /** Replaces task handlers by state name in every run: where a test acts while a rollout runs. */
  wrapTask?: RunWorkflowOptions['wrapTask'];
  private running = false;

  constructor(
    private readonly world: SimWorld,
    private readonly options: SimWorkflowOptions = {},
  ) {}

  executionArnFor(name: string): string {
    return SIM_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:') + `:${name}`;
  }

  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const executionArn = this.executionArnFor(name);
    if (this.executions.has(executionArn)) return { executionArn, alreadyStarted: true };
    if (this.running) throw new Error('the in-memory world runs one execution at a time');
    const execution: SimExecution = { name, input, status: 'RUNNING', startedAt: new Date(this.world.now()).toISOString(), stop: new AbortController() };
    this.executions.set(executionArn, execution);
    this.running = true;
    execution.done = this.run(executionArn, execution);
    return { executionArn, alreadyStarted: false };
  }

  private async run(executionArn: string, execution: SimExecution): Promise<void> {
    const { pace } = this.options;
    let run: WorkflowRun;
    try {
      run = await this.world.rehearse(execution.input, {
        executionName: execution.name,
        signal: execution.stop.signal,
        ...(this.wrapTask ? { wrapTask: this.wrapTask } : {}),
        ...(pace ? { pace, onEvent: (event: EventLog) => event.type === 'StateExited' && this.world.settle(event.timestamp) } : {}),
      });
    } finally {
      this.running = false;
    }
    execution.run = run;
    if (execution.status === 'RUNNING') {
      Object.assign(execution, {
        status: run.status,
        stoppedAt: new Date(run.endedAt).toISOString(),
        ...(run.error ? { error: run.error.Error, cause: run.error.Cause } : {}),
      });
    }
    if (execution.status === 'SUCCEEDED') return;
    const guard = makeGuard({ ...this.world.ports(), workflow: this, clock: { now: () => run.endedAt } });
    const { name, status, error, cause } = execution;
    this.guarded.push(
      await guard({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn, name, status, error: error ?? null, cause: cause ?? null } }),
    );
  }

  /** Resolves once every execution, and the guard after each, are done. */
  async settled(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  async stop(executionArn: string, reason: { error: string; cause: string }): Promise<void> {
    const execution = this.find(executionArn);
    if (execution.status !== 'RUNNING') return;
    // StopExecution is synchronous on AWS: DescribeExecution says ABORTED as soon as it returns.
    Object.assign(execution, { status: 'ABORTED', stoppedAt: new Date(this.world.now()).toISOString(), error: reason.error, cause: reason.cause });
    execution.stop.abort();
  }

  async describe(executionArn: string): Promise<ExecutionInfo> {
    const e = this.find(executionArn);
    return {
      executionArn,
      name: e.name,
      status: e.status,
      startedAt: e.startedAt,
      input: e.input,
      ...(e.stoppedAt ? { stoppedAt: e.stoppedAt } : {}),
      ...(e.error ? { error: e.error } : {}),
      ...(e.cause ? { cause: e.cause } : {}),
    };
  }

  async findInHistory<T>(executionArn: string, pick: (data: unknown) => T | undefined): Promise<T | undefined> {
    const events = this.find(executionArn).run?.events ?? [];
    for (let i = events.length - 1; i >= 0; i -= 1) {
      for (const data of dataOf(events[i] as EventLog)) {
        const found = data === undefined ? undefined : pick(structuredClone(data));
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  private find(executionArn: string): SimExecution {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new NotFoundError(`Execution Does Not Exist: ${executionArn}`);
    return execution;
  }
}
