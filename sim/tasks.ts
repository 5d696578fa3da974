/**
 * Binds the workflow's task functions to their handlers in process, over any ports: the
 * in-memory world in the rehearsal and tests, or fakes. Keyed like `TASK_FUNCTIONS`, so a task
 * added to the workflow without a local binding fails to compile.
 */
import type { TaskFunctionKey } from '../functions/names.js';
import type {
  AlarmReader,
  Clock,
  CodeRelease,
  ConcurrencyControl,
  ControlStore,
  EventPublisher,
  EventSources,
  Invoker,
  LambdaControl,
  MetricsReader,
  Notifier,
  RolloutRegistry,
  Workflow,
} from '../functions/ports.js';
import type { SimTaskTokens } from './task-tokens.js';
import { makePrepare } from '../functions/tasks/prepare.js';
import { makeShiftWeight } from '../functions/tasks/shift-weight.js';
import { makeCheckHealth } from '../functions/tasks/check-health.js';
import { makeFinalize } from '../functions/tasks/finalize.js';
import { makeRollback } from '../functions/tasks/rollback.js';
import { makeNotify } from '../functions/tasks/notify.js';
import { makeAcquireLock } from '../functions/tasks/acquire-lock.js';
import { makeReleaseLock } from '../functions/tasks/release-lock.js';
import { makeRelease } from '../functions/tasks/release.js';
import { makeContinue } from '../functions/tasks/continue.js';
import { makeRunHook } from '../functions/tasks/run-hook.js';
import { makeAwaitControl } from '../functions/tasks/await-control.js';
import { makeConcurrency } from '../functions/tasks/concurrency.js';

export interface TaskPorts {
  readonly lambda: LambdaControl;
  readonly metrics: MetricsReader;
  readonly alarms: AlarmReader;
  readonly invoker: Invoker;
  readonly notifier: Notifier;
  /** EventBridge for machines; Notify publishes every event there too when it is wired. */
  readonly events?: EventPublisher | undefined;
  readonly registry: RolloutRegistry;
  readonly code: CodeRelease;
  /** The rollout state machine: a long rollout starts its next execution here. */
  readonly workflow: Workflow;
  readonly concurrency: ConcurrencyControl;
  readonly eventSources: EventSources;
  readonly controls: ControlStore;
  /** Task tokens in process: the runner issues one for each `.waitForTaskToken` state. */
  readonly tokens: SimTaskTokens;
  readonly clock: Clock;
  /** The construct's allowedFunctions, as Prepare, Release and Continue read them from the environment on Lambda. */
  readonly allowedFunctions: readonly string[];
  /** The hooks this service may invoke (the construct's allowedHooks). */
  readonly allowedHooks: readonly string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskHandler = (input: any) => Promise<unknown>;

/** One in-process handler per task function. */
export function bindTasks(ports: TaskPorts): Record<TaskFunctionKey, TaskHandler> {
  return {
    PrepareFunctionArn: makePrepare(ports),
    ShiftWeightFunctionArn: makeShiftWeight(ports),
    CheckHealthFunctionArn: makeCheckHealth(ports),
    FinalizeFunctionArn: makeFinalize(ports),
    RollbackFunctionArn: makeRollback(ports),
    NotifyFunctionArn: makeNotify(ports),
    AcquireLockFunctionArn: makeAcquireLock(ports),
    ReleaseLockFunctionArn: makeReleaseLock(ports),
    ReleaseFunctionArn: makeRelease(ports),
    ContinueFunctionArn: makeContinue({ ...ports, workflowOf: () => ports.workflow }),
    RunHookFunctionArn: makeRunHook(ports),
    AwaitControlFunctionArn: makeAwaitControl(ports),
    ConcurrencyFunctionArn: makeConcurrency(ports),
  };
}
