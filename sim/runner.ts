/**
 * Runs the real workflow definition, `statemachine/rollout.asl.json`, in process with
 * aws-local-stepfunctions: every Task state runs its handler over the given ports, and Wait
 * states wait in virtual time (fake timers drive `Date` and `setTimeout`), so hours of baking
 * take milliseconds. The interpreter does not implement `.waitForTaskToken`: those states are
 * bound to a handler that issues a task token, runs the task function with it, and waits, in
 * virtual time, for the token's answer; the state's TimeoutSeconds, which the interpreter
 * enforces, ends a wait nobody answers with States.Timeout.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import FakeTimers from '@sinonjs/fake-timers';
import { StateMachine } from 'aws-local-stepfunctions';
import type { ExecutionSummary, RolloutState } from '../functions/core/state.js';
import { ASL_PATH, TASK_FUNCTIONS, type TaskFunctionKey } from '../functions/names.js';
import { bindTasks, type TaskHandler, type TaskPorts } from './tasks.js';
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

/** Validating the definition costs more than a short rehearsal: do it once per process. */
function compiledMachine(definition: ReturnType<typeof loadDefinition>): StateMachine {
  const text = JSON.stringify(definition);
  if (compiled?.text !== text) compiled = { text, machine: new StateMachine(substituteLocally(forTheInterpreter(definition)) as never) };
  return compiled.machine;
}

export interface WorkflowRun {
  /** ABORTED: stopped through `signal`, as StopExecution does; no further state ran. */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /** The execution's output when it succeeded. */
  readonly output?: ExecutionSummary;
  /** The last rollout state the execution held (from its event log), however it ended. */
  readonly lastState?: RolloutState;
  /** The Fail state's (or the runtime's) error and cause when it failed. */
  readonly error?: { readonly Error: string; readonly Cause: string };
  /** Every event of the execution, in order, with virtual timestamps. */
  readonly events: readonly EventLog[];
  readonly startedAt: number;
  readonly endedAt: number;
  readonly executionName: string;
}

export interface RunWorkflowOptions {
  readonly input: unknown;
  readonly ports: TaskPorts;
  readonly executionName?: string;
  /** Virtual start time, epoch ms. Default 2026-01-05T10:00:00Z. */
  readonly startTime?: number;
  /** Called for each event as it happens (for live progress). */
  readonly onEvent?: (event: EventLog) => void;
  /** Replaces task handlers by state name (fault injection in tests). */
  readonly wrapTask?: (stateName: string, handler: TaskHandler) => TaskHandler;
  /**
   * Lets others watch the run as it goes (a local rollout service answering a CLI): virtual time
   * moves `virtualMs` at a time, with `realMs` of wall-clock time between moves. Default: the
   * run goes as fast as it can.
   */
  readonly pace?: { readonly virtualMs: number; readonly realMs: number };
  /** Stops the execution where it is, as StopExecution does: it ends ABORTED and runs no further state. */
  readonly signal?: AbortSignal;
  /** Things that happen at given moments of the run (a person approving, pausing...), seconds after the start. */
  readonly schedule?: readonly { readonly atSeconds: number; readonly run: () => unknown }[];
}

export const DEFAULT_START_TIME = Date.UTC(2026, 0, 5, 10, 0, 0);

// Taken before any run installs fake timers: a paced run waits in wall-clock time between moves.
const wallClockTimeout = globalThis.setTimeout;
const wallClockPause = (ms: number) => new Promise<void>((resolve) => wallClockTimeout(resolve, ms));

/**
 * Runs one rollout execution to its end in virtual time. Must not be called while another run
 * is in progress in the same process (it owns the global clock while it runs).
 */
export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowRun> {
  const definition = loadDefinition();
  const executionName = options.executionName ?? 'rehearsal';
  const startedAt = options.startTime ?? DEFAULT_START_TIME;
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: startedAt,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  try {
    const tasks = bindTasks(options.ports);
    const handlers = localHandlers(definition, tasks, options.ports.tokens);
    const scheduled = (options.schedule ?? []).map((s) => setTimeout(() => void s.run(), s.atSeconds * 1000));
    const wrapped = Object.fromEntries(
      Object.entries(handlers).map(([name, h]) => [name, options.wrapTask ? options.wrapTask(name, h) : h]),
    );
    const machine = compiledMachine(definition);
    const execution = machine.run(options.input as never, {
      overrides: { taskResourceLocalHandlers: wrapped as never },
      context: {
        Execution: {
          Id: `arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:${executionName}`,
          Name: executionName,
          StartTime: new Date(startedAt).toISOString(),
        },
        // Replaced by a fresh token for each wait (see `awaitingCallback`).
        Task: { Token: 'local-task-token' },
      } as never,
    });
    const events: EventLog[] = [];
    const logging = (async () => {
      for await (const event of execution.eventLogs) {
        events.push(event);
        options.onEvent?.(event);
      }
    })();
    let settled = false;
    let endedAt = startedAt;
    const outcome = execution.result.then(
      (output) => ({ status: 'SUCCEEDED' as const, output: output as unknown as ExecutionSummary }),
      (error: unknown) => (options.signal?.aborted ? { status: 'ABORTED' as const } : { status: 'FAILED' as const, error: failureOf(error) }),
    );
    void outcome.finally(() => {
      settled = true;
      // Scheduled moments and late callbacks after the end must not stretch the run.
      endedAt = Date.now();
      scheduled.forEach((t) => clearTimeout(t));
    });
    if (options.signal?.aborted) execution.abort();
    options.signal?.addEventListener('abort', () => execution.abort(), { once: true });
    const { pace } = options;
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
    return { ...result, events, lastState: lastStateIn(events), startedAt, endedAt, executionName };
  } finally {
    clock.uninstall();
  }
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

/** The newest rollout state in an execution's events: what the guard reads from the history on AWS. */
export function lastStateIn(events: readonly EventLog[]): RolloutState | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const state = rolloutStateIn(events[i] as EventLog);
    if (state) return state;
  }
  return undefined;
}

function failureOf(error: unknown): { Error: string; Cause: string } {
  // ExecutionError wraps the Fail state's (or runtime's) error in `cause`.
  const inner = (error as { cause?: { name?: string; message?: string } }).cause;
  return { Error: inner?.name ?? (error as Error).name ?? 'Error', Cause: inner?.message ?? String(error) };
}
