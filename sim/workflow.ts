/**
 * The rollout state machine in memory. StartExecution runs the real workflow definition in a
 * `SimWorld` (one run at a time: the world has one clock); an execution the workflow starts of
 * itself while it runs (a long rollout continuing in a new execution before its history fills)
 * waits, and the runner (`runner.ts`) runs it next, on the same clock. StopExecution aborts an
 * execution, DescribeExecution and the history read what each execution did, and an execution
 * that stops without finishing (aborted, failed, timed out) is handed to the guard, as the
 * EventBridge rule does on AWS. The API, the CLI's local service, the `Custom::LambdaRollout`
 * provider and the rehearsal run against it, so against the real workflow.
 */
import { NotFoundError } from '../functions/core/errors.js';
import type { ExecutionInfo, ExecutionStatus, Workflow } from '../functions/ports.js';
import { type GuardResult, makeGuard } from '../functions/tasks/guard.js';
import type { EventLog, ExecutionHost, ExecutionRun, RunnableExecution, RunWorkflowOptions, WorkflowRun } from './runner.js';
import type { TaskPorts } from './tasks.js';

/** The state machine the runner names its executions after. */
export const SIM_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-rollout';

/** What the state machine needs of the world it runs in (`SimWorld`). */
export interface WorkflowWorld {
  now(): number;
  /** Generates traffic up to `now`. */
  settle(now: number): void;
  ports(): TaskPorts;
  rehearse(input: unknown, options: Partial<Omit<RunWorkflowOptions, 'input'>>): Promise<WorkflowRun>;
}

/** One execution: what DescribeExecution says of it, how it ran once over, and how to stop it. */
export interface SimExecution extends RunnableExecution {
  status: ExecutionStatus;
  readonly startedAt: string;
  stoppedAt?: string;
  error?: string;
  cause?: string;
  /** How it ran, once it has. */
  run?: ExecutionRun;
  /** Settles once the run it begins (with its continuations), and the guard after each, are done. */
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

export class SimWorkflow implements Workflow, ExecutionHost {
  readonly executions = new Map<string, SimExecution>();
  /** What the guard did for each execution that stopped without finishing. */
  readonly guarded: GuardResult[] = [];
  /** Replaces task handlers by state name in every run: where a test acts while a rollout runs. */
  wrapTask?: RunWorkflowOptions['wrapTask'];
  readonly stateMachineArn = SIM_STATE_MACHINE_ARN;
  /** Executions started while a run is in progress, oldest first: the runner runs each after the one running now. */
  private readonly waiting: SimExecution[] = [];
  private running = false;

  constructor(
    private readonly world: WorkflowWorld,
    private readonly options: SimWorkflowOptions = {},
  ) {}

  executionArnFor(name: string): string {
    return SIM_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:') + `:${name}`;
  }

  /** StartExecution: an execution of that name, whatever its input or status, was started already. */
  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const executionArn = this.executionArnFor(name);
    if (this.executions.has(executionArn)) return { executionArn, alreadyStarted: true };
    const execution = this.record(name, input);
    if (this.running) this.waiting.push(execution);
    else {
      this.running = true;
      execution.done = this.run(execution);
    }
    return { executionArn, alreadyStarted: false };
  }

  /** Runs `first` and every execution started meanwhile, then the guard for each that stopped without finishing. */
  private async run(first: SimExecution): Promise<void> {
    const { pace } = this.options;
    let run: WorkflowRun;
    try {
      run = await this.world.rehearse(first.input, {
        executionName: first.name,
        ports: { ...this.world.ports(), workflow: this },
        ...(this.wrapTask ? { wrapTask: this.wrapTask } : {}),
        ...(pace ? { pace, onEvent: (event: EventLog) => event.type === 'StateExited' && this.world.settle(event.timestamp) } : {}),
      });
    } finally {
      this.running = false;
    }
    for (const { executionArn, endedAt } of run.executions) {
      const execution = this.find(executionArn);
      if (execution.status === 'SUCCEEDED') continue;
      const guard = makeGuard({ ...this.world.ports(), workflow: this, clock: { now: () => endedAt } });
      const { name, status, error, cause } = execution;
      this.guarded.push(
        await guard({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn, name, status, error: error ?? null, cause: cause ?? null } }),
      );
    }
  }

  /**
   * For the runner: the first execution of a run, the one StartExecution recorded or a new one
   * (a rehearsal may reuse a name an earlier run in the same world used: the newer replaces it).
   * Until `runEnded`, executions started are left for `nextStarted`.
   */
  begin(name: string, input: unknown): SimExecution {
    this.running = true;
    const recorded = this.executions.get(this.executionArnFor(name));
    return recorded && recorded.status === 'RUNNING' && !recorded.run ? recorded : this.record(name, input);
  }

  /** For the runner: the next execution started during the run and not stopped since, oldest first. */
  nextStarted(): SimExecution | undefined {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      if (next.status === 'RUNNING') return next;
    }
    return undefined;
  }

  /** For the runner: how an execution ran. A stopped one stays as StopExecution left it. */
  /** {@inheritDoc ExecutionHost.hasStarted} */
  hasStarted(): boolean {
    return this.waiting.some((e) => e.status === 'RUNNING');
  }

  ended(run: ExecutionRun): void {
    const execution = this.find(run.executionArn);
    execution.run = run;
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, {
      status: run.status,
      stoppedAt: new Date(run.endedAt).toISOString(),
      ...(run.error ? { error: run.error.Error, cause: run.error.Cause } : {}),
    });
  }

  /** For the runner: the run is over; a later StartExecution begins a new one. */
  runEnded(): void {
    this.running = false;
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

  /** Newest first, as the guard reads a history; a long rehearsal that kept no events has its last rollout state. */
  async findInHistory<T>(executionArn: string, pick: (data: unknown) => T | undefined): Promise<T | undefined> {
    const run = this.find(executionArn).run;
    const events = run?.events ?? [];
    for (let i = events.length - 1; i >= 0; i -= 1) {
      for (const data of dataOf(events[i] as EventLog)) {
        const found = data === undefined ? undefined : pick(structuredClone(data));
        if (found !== undefined) return found;
      }
    }
    return events.length === 0 && run?.lastState ? pick(structuredClone(run.lastState)) : undefined;
  }

  private record(name: string, input: unknown): SimExecution {
    const executionArn = this.executionArnFor(name);
    const execution: SimExecution = { executionArn, name, input, status: 'RUNNING', startedAt: new Date(this.world.now()).toISOString(), stop: new AbortController() };
    this.executions.set(executionArn, execution);
    return execution;
  }

  private find(executionArn: string): SimExecution {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new NotFoundError(`Execution Does Not Exist: ${executionArn}`);
    return execution;
  }
}
