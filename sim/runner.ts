/**
 * Runs the real workflow definition, `statemachine/rollout.asl.json`, in process with
 * aws-local-stepfunctions: every Task state runs its handler over the given ports, and Wait
 * states wait in virtual time (fake timers drive `Date` and `setTimeout`), so hours of baking
 * take milliseconds. A rollout that continues in a new execution runs on in it, on the same clock.
 * The interpreter does not implement `.waitForTaskToken`: those states are bound to a handler that
 * issues a task token, runs the task function with it, and waits, in virtual time, for the token's
 * answer; the state's TimeoutSeconds, which the interpreter enforces, ends a wait nobody answers
 * with States.Timeout.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import FakeTimers from '@sinonjs/fake-timers';
import { StateMachine } from 'aws-local-stepfunctions';
import type { ExecutionSummary, RolloutState } from '../functions/core/state.js';
import { ASL_PATH, TASK_FUNCTIONS, type TaskFunctionKey } from '../functions/names.js';
import { MAX_HISTORY_EVENTS } from '../functions/core/continuation.js';
import { bindTasks, type TaskHandler, type TaskPorts } from './tasks.js';
import type { Workflow } from '../functions/ports.js';
import type { SimTaskTokens } from './task-tokens.js';
import { logger } from '../functions/logger.js';

// In process, the handlers' structured logs would drown what the rehearsal shows; the run's own
// event log and the world's records say what happened.
logger.setLogLevel('SILENT');

/** One event of an execution's log (StateEntered, StateExited, ExecutionFailed...). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

interface AslState {
  Type: string;
  Resource?: string;
  [key: string]: unknown;
}

/** The workflow definition as deployed: the file CDK puts inline in the template. */
export function loadDefinition(): { StartAt: string; States: Record<string, AslState> } {
  return JSON.parse(readFileSync(ASL_PATH, 'utf8'));
}

const PLACEHOLDER = /^\$\{(\w+)\}$/;
const CALLBACK = /^arn:aws:states:::lambda:invoke\.waitForTaskToken$/;

/** True for a Task state that waits for a task token's answer (`lambda:invoke.waitForTaskToken`). */
export function waitsForToken(state: AslState): boolean {
  return CALLBACK.test(state.Resource ?? '');
}

/**
 * The task function key a Task state calls: its `${...}` Resource placeholder, or, for a state that
 * waits for a task token, the placeholder in its `Parameters.FunctionName`.
 */
export function taskKeyOf(state: AslState): TaskFunctionKey | undefined {
  const ref = waitsForToken(state) ? (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName : state.Resource;
  const key = PLACEHOLDER.exec(ref ?? '')?.[1];
  return key && Object.hasOwn(TASK_FUNCTIONS, key) ? (key as TaskFunctionKey) : undefined;
}

/** A dotted JSONPath (`$.a.b`) read from `data`. */
function readPath(path: string, data: unknown): unknown {
  return path.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), data);
}

/**
 * A `.waitForTaskToken` state's local handler: the task function gets the Payload with a fresh
 * token in place of `$$.Task.Token`; the state's result is the token's answer (a failure answer is
 * thrown with its error name, as the state fails). Once the state's timeout has passed, the token
 * is closed, so a late answer fails as SendTaskSuccess would (TaskTimedOut).
 */
function awaitingCallback(state: AslState, task: TaskHandler, tokens: SimTaskTokens): TaskHandler {
  return async (input: { Payload: { state?: unknown } & Record<string, unknown> }) => {
    const { token, answer } = tokens.issue();
    const seconds = Number(state.TimeoutSeconds ?? readPath(String(state.TimeoutSecondsPath ?? ''), input.Payload.state));
    const closing = setTimeout(() => tokens.close(token), seconds * 1000);
    try {
      await task({ ...input.Payload, token });
      return await answer;
    } catch (error) {
      tokens.close(token);
      throw error;
    } finally {
      clearTimeout(closing);
    }
  };
}

/** State name to local handler, for every Task state of the definition. Throws on an unbound task. */
export function localHandlers(definition: ReturnType<typeof loadDefinition>, tasks: Record<TaskFunctionKey, TaskHandler>, tokens: SimTaskTokens) {
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const key = taskKeyOf(state);
    if (!key) throw new Error(`Task state ${name} calls ${state.Resource}, which has no local handler`);
    handlers[name] = waitsForToken(state) ? awaitingCallback(state, tasks[key], tokens) : tasks[key];
  }
  return handlers;
}

/**
 * The definition with each `${...}` placeholder replaced by a stand-in function ARN, as CDK's
 * definitionSubstitutions do with the real ones at deploy time.
 */
export function substituteLocally(definition: ReturnType<typeof loadDefinition>): unknown {
  const text = JSON.stringify(definition).replace(/\$\{(\w+)\}/g, (_, key: string) => {
    if (!Object.hasOwn(TASK_FUNCTIONS, key)) throw new Error(`Unknown placeholder \${${key}} in the workflow definition`);
    return `arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-${TASK_FUNCTIONS[key as TaskFunctionKey].id}`;
  });
  return JSON.parse(text);
}

/**
 * The definition as the local interpreter must read it. Step Functions resolves a Task state's
 * `TimeoutSecondsPath` in the state's input; aws-local-stepfunctions resolves it in the effective
 * input, after `Parameters`. The task-token states pass the whole state input as `Payload.state`,
 * so their paths are pointed there for the interpreter; the deployed file is left as it is.
 */
function forTheInterpreter(definition: ReturnType<typeof loadDefinition>): ReturnType<typeof loadDefinition> {
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]) => {
      const path = state.TimeoutSecondsPath;
      if (!waitsForToken(state) || typeof path !== 'string') return [name, state];
      return [name, { ...state, TimeoutSecondsPath: path.replace(/^\$/, '$.Payload.state') }];
    }),
  );
  return { ...definition, States: states };
}

let compiled: { text: string; machine: StateMachine } | undefined;

/**
 * One interpreter per process and definition. The interpreter would validate the definition (with
 * asl-validator and ajv, about 0.6 s) at every construction; the definition test validates the
 * file with asl-validator instead, so the rehearsal builds it once and unvalidated.
 */
function compiledMachine(definition: ReturnType<typeof loadDefinition>): StateMachine {
  const text = JSON.stringify(definition);
  if (compiled?.text !== text) compiled = { text, machine: new StateMachine(substituteLocally(forTheInterpreter(definition)) as never, { validationOptions: { noValidate: true } }) };
  return compiled.machine;
}

/**
 * How many timers one execution may fire before the fake clock gives up. Every timer is a Wait
 * state, a retry's interval or a task's timeout, each adding at least two events to the history,
 * which Step Functions caps at 25,000 events: a legal execution fires at most half as many.
 */
export const TIMER_LIMIT = MAX_HISTORY_EVENTS;

type Failure = { readonly Error: string; readonly Cause: string };

/** One execution of a run: the first, or a continuation the workflow started. */
export interface ExecutionRun {
  readonly executionName: string;
  readonly executionArn: string;
  /** ABORTED: stopped (StopExecution, or the run's `signal`); no further state ran. */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /** The execution's output when it succeeded: the summary of a promotion, or where a long rollout continued. */
  readonly output?: unknown;
  /** The Fail state's (or the runtime's) error and cause when it failed. */
  readonly error?: Failure;
  /** The last rollout state the execution held. */
  readonly lastState?: RolloutState | undefined;
  /** The execution's events, in order, with virtual timestamps; empty when `keepEvents` is false. */
  readonly events: readonly EventLog[];
  /** The events Step Functions would keep in this execution's history (`historyCounter`). */
  readonly historyEvents: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface WorkflowRun {
  /** How the rollout's last execution ended. */
  readonly status: ExecutionRun['status'];
  /** The last execution's output when it succeeded. */
  readonly output?: ExecutionSummary;
  /** The last rollout state the rollout held (from its event log), however it ended. */
  readonly lastState?: RolloutState;
  /** The last execution's Fail state's (or the runtime's) error and cause when it failed. */
  readonly error?: Failure;
  /** Every event of every execution, in order, with virtual timestamps; empty when `keepEvents` is false. */
  readonly events: readonly EventLog[];
  readonly startedAt: number;
  readonly endedAt: number;
  /** The first execution's name. */
  readonly executionName: string;
  /** Each execution in order: the first, then each continuation the workflow started. */
  readonly executions: readonly ExecutionRun[];
}

/** An execution as the runner runs it. */
export interface RunnableExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly input: unknown;
  /** Aborting it stops the execution, as StopExecution does. */
  readonly stop: AbortController;
}

/**
 * The state machine's executions as the runner drives them (the in-memory state machine,
 * `sim/workflow.ts`): a run begins with one, runs each the workflow starts meanwhile after it,
 * and reports how each ran.
 */
export interface ExecutionHost {
  readonly stateMachineArn: string;
  begin(name: string, input: unknown): RunnableExecution;
  nextStarted(): RunnableExecution | undefined;
  /** Whether an execution started during the run is waiting for `nextStarted`. */
  hasStarted(): boolean;
  ended(run: ExecutionRun): void;
  runEnded(): void;
}

export interface RunWorkflowOptions {
  readonly input: unknown;
  /** The ports the tasks run over; the state machine's executions (the first, and those the workflow starts) are `workflow`'s. */
  readonly ports: TaskPorts & { readonly workflow: Workflow & ExecutionHost };
  readonly executionName?: string;
  /** Virtual start time, epoch ms. Default 2026-01-05T10:00:00Z. */
  readonly startTime?: number;
  /** Called for each event as it happens (for live progress), with the execution it belongs to. */
  readonly onEvent?: (event: EventLog, executionName: string) => void;
  /** Replaces task handlers by state name (fault injection in tests). */
  readonly wrapTask?: (stateName: string, handler: TaskHandler) => TaskHandler;
  /** Keep every event in `events` (default true). Long rehearsals turn it off and watch `onEvent`. */
  readonly keepEvents?: boolean;
  /**
   * Lets others watch the run as it goes (a local rollout service answering a CLI): virtual time
   * moves `virtualMs` at a time, with `realMs` of wall-clock time between moves. Default: the
   * run goes as fast as it can.
   */
  readonly pace?: { readonly virtualMs: number; readonly realMs: number };
  /** Stops the run where it is, as StopExecution does: the running execution ends ABORTED and runs no further state. */
  readonly signal?: AbortSignal;
  /** Things that happen at given moments of the run (a person approving, pausing...), seconds after the start. */
  readonly schedule?: readonly { readonly atSeconds: number; readonly run: () => unknown }[];
}

export const DEFAULT_START_TIME = Date.UTC(2026, 0, 5, 10, 0, 0);

// Taken before any run installs fake timers: a paced run waits in wall-clock time between moves.
const wallClockTimeout = globalThis.setTimeout;
const wallClockPause = (ms: number) => new Promise<void>((resolve) => wallClockTimeout(resolve, ms));

/**
 * Runs a rollout to its end in virtual time: its execution, then each execution the workflow
 * started of itself (a long rollout continuing before the history fills), one after the other on
 * the same clock. Must not be called while another run is in progress in the same process (it
 * owns the global clock while it runs).
 */
export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowRun> {
  const definition = loadDefinition();
  const { workflow } = options.ports;
  const executionName = options.executionName ?? 'rehearsal';
  const startedAt = options.startTime ?? DEFAULT_START_TIME;
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: startedAt,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    loopLimit: TIMER_LIMIT,
  });
  // The interpreter's JSONPath library returns every value it finds by throwing an Error (its
  // `NewError`), a stack trace captured each time; an execution records an error's name and
  // message only, so no stack is captured while the rollout runs.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const tasks = bindTasks(options.ports);
    const handlers = localHandlers(definition, tasks, options.ports.tokens);
    // Scheduled moments are armed while an execution runs: between a hand-over and the execution
    // that continues the rollout no time passes (the interpreter would otherwise run every timer
    // left, leaping to the last scheduled moment), and those after the last execution never stretch the run.
    const now = Date.now();
    const scheduled = (options.schedule ?? []).map((s) => ({ at: now + s.atSeconds * 1000, run: s.run, done: false, timer: undefined as ReturnType<typeof setTimeout> | undefined }));
    const arm = () =>
      scheduled.filter((s) => !s.done).forEach((s) => {
        s.timer = setTimeout(() => {
          s.done = true;
          void s.run();
        }, Math.max(0, s.at - Date.now()));
      });
    const atEnd = () => scheduled.forEach((s) => clearTimeout(s.timer));
    const wrapped = Object.fromEntries(
      Object.entries(handlers).map(([name, h]) => [name, options.wrapTask ? options.wrapTask(name, h) : h]),
    );
    const machine = compiledMachine(definition);
    const executions: ExecutionRun[] = [];
    for (let next: RunnableExecution | undefined = workflow.begin(executionName, options.input); next; next = workflow.nextStarted()) {
      const name = next.name;
      arm();
      const run = await runExecution(machine, wrapped, next, { ...options, stateMachineArn: workflow.stateMachineArn, clock, atEnd, onEvent: (event) => options.onEvent?.(event, name) });
      workflow.ended(run);
      executions.push(run);
    }
    const last = executions.at(-1) as ExecutionRun;
    const lastState = [...executions].reverse().find((e) => e.lastState)?.lastState;
    return {
      status: last.status,
      ...(last.status === 'SUCCEEDED' ? { output: last.output as ExecutionSummary } : {}),
      ...(last.error ? { error: last.error } : {}),
      ...(lastState ? { lastState } : {}),
      events: executions.flatMap((e) => e.events),
      startedAt,
      endedAt: last.endedAt,
      executionName,
      executions,
    };
  } finally {
    workflow.runEnded();
    Error.stackTraceLimit = stackTraceLimit;
    clock.uninstall();
  }
}

/** Runs one execution to its end on the installed clock, streaming its events to `onEvent`. */
async function runExecution(
  machine: StateMachine,
  handlers: Record<string, TaskHandler>,
  execution: RunnableExecution,
  options: Pick<RunWorkflowOptions, 'keepEvents' | 'pace' | 'signal'> & {
    readonly stateMachineArn: string;
    readonly clock: FakeTimers.Clock;
    readonly onEvent: (event: EventLog) => void;
    /** Called the moment the execution ends, before the clock runs what is left. */
    readonly atEnd: () => void;
  },
): Promise<ExecutionRun> {
  const { clock, pace, stateMachineArn } = options;
  const startedAt = Date.now();
  const run = machine.run(execution.input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: {
      Execution: { Id: execution.executionArn, Name: execution.name, StartTime: new Date(startedAt).toISOString() },
      StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').at(-1) },
      // Replaced by a fresh token for each wait (see `awaitingCallback`).
      Task: { Token: 'local-task-token' },
    } as never,
  });
  const keep = options.keepEvents ?? true;
  const events: EventLog[] = [];
  const history = historyCounter();
  let lastState: RolloutState | undefined;
  const logging = (async () => {
    for await (const event of run.eventLogs) {
      history.count(event);
      lastState = rolloutStateIn(event) ?? lastState;
      if (keep) events.push(event);
      options.onEvent(event);
    }
  })();
  const stops = [execution.stop.signal, ...(options.signal ? [options.signal] : [])];
  let settled = false;
  let endedAt = startedAt;
  const outcome = run.result.then(
    (output) => ({ status: 'SUCCEEDED' as const, output: output as unknown }),
    (error: unknown) => (stops.some((s) => s.aborted) ? { status: 'ABORTED' as const } : { status: 'FAILED' as const, error: failureOf(error) }),
  );
  void outcome.finally(() => {
    settled = true;
    endedAt = Date.now();
    options.atEnd();
  });
  for (const stop of stops) {
    if (stop.aborted) run.abort();
    stop.addEventListener('abort', () => run.abort(), { once: true });
  }
  while (!settled) {
    if (!pace) await clock.runAllAsync();
    else {
      await clock.tickAsync(pace.virtualMs);
      await wallClockPause(pace.realMs);
    }
  }
  const result = await outcome;
  await clock.runAllAsync();
  await logging;
  return { ...result, executionName: execution.name, executionArn: execution.executionArn, lastState, events, historyEvents: history.total, startedAt, endedAt };
}

/**
 * Counts the events Step Functions would keep for an execution, from the interpreter's event log:
 * the execution's start and end (1 each); each state's Entered and Exited events (1 each); and, for
 * a Task, Scheduled, Started and Succeeded or Failed (3) for every attempt: the first, and one
 * more for each retry.
 */
export function historyCounter(): { count(event: EventLog): void; readonly total: number } {
  let total = 0;
  return {
    count(event) {
      const type = event.type as string;
      const stateType = (event as { state?: { type?: string } }).state?.type;
      if (type.startsWith('Execution')) total += 1;
      else if (type === 'StateEntered') total += stateType === 'Task' ? 4 : 1;
      else if (type === 'StateExited') total += 1;
      else if (type === 'StateRetried') total += 3;
    },
    get total() {
      return total;
    },
  };
}

/** The rollout state an event carries (a state's output, else its input), if any. */
export function rolloutStateIn(event: EventLog): RolloutState | undefined {
  const s = (event as { state?: { output?: unknown; input?: unknown } }).state;
  for (const candidate of [s?.output, s?.input]) {
    const c = candidate as Partial<RolloutState> | undefined;
    if (c && Array.isArray(c.history) && c.rollout) return c as RolloutState;
  }
  return undefined;
}

function failureOf(error: unknown): { Error: string; Cause: string } {
  // ExecutionError wraps the Fail state's (or runtime's) error in `cause`.
  const inner = (error as { cause?: { name?: string; message?: string } }).cause;
  return { Error: inner?.name ?? (error as Error).name ?? 'Error', Cause: inner?.message ?? String(error) };
}
