/**
 * Fault injection over the in-memory world, and the invariants every run must keep whatever
 * fails. Every port call the workflow makes (Lambda's alias and code control planes, CloudWatch,
 * the probes' Invoke, SNS, EventBridge, the registry) can fail as AWS calls fail: throttled, a 5xx,
 * a timeout (the call hangs until the task's TimeoutSeconds, in virtual time), a lost answer (the
 * call is applied, then the caller sees an error), a 409, or a 412 caused by a real concurrent
 * writer (someone else changes the alias right before the call). A schedule says which call fails
 * how; `runWithFaults` runs the real workflow under it, sends a failed execution's event to the
 * guard as AWS would, and checks the invariants. The fault suite, the random-schedule property
 * test and `npm run bench:faults` share it.
 */
import { ErrorName, ThrottledError, TransientError, UpdateInProgressError } from '../functions/core/errors.js';
import { type GuardResult, makeGuard } from '../functions/tasks/guard.js';
import type { ExecutionInfo, Workflow } from '../functions/ports.js';
import { Random } from './random.js';
import type { WorkflowRun } from './runner.js';
import { SimWorld } from './world.js';

/** How a call fails. */
export const FAULT_KINDS = ['throttle', 'server-error', 'timeout', 'lost-answer', 'conflict', 'concurrent-writer'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** The faults retries are for: everything but another writer's change. */
export const TRANSIENT_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'concurrent-writer');

/** Every port call the workflow's tasks make, as `port.method`. */
export const PORT_CALLS = [
  'lambda.getVersion',
  'lambda.getAlias',
  'lambda.updateAlias',
  'metrics.getMetricData',
  'alarms.describeAlarms',
  'invoker.invoke',
  'notifier.publish',
  'events.publish',
  'registry.acquire',
  'registry.release',
  'registry.getLock',
  'registry.recordProgress',
  'registry.recordCheck',
  'registry.finish',
  'code.updateCode',
  'code.getCodeStatus',
  'code.publishVersion',
  'code.findVersion',
] as const;
export type PortCall = (typeof PORT_CALLS)[number];
/** The calls only a rollout that starts from an artifact makes. */
export const RELEASE_CALLS: readonly PortCall[] = PORT_CALLS.filter((c) => c.startsWith('code.') || c === 'registry.getLock');

/** Which fault, if any, the `nth` call (1-based, per PortCall) of a run meets. */
export type FaultSchedule = (call: PortCall, nth: number) => FaultKind | undefined;

/**
 * A seeded random schedule: each call fails with probability `rate`, as one of the transient
 * faults drawn at random; with `concurrentWriter`, someone else also changes the alias once,
 * right before the first call of a port call drawn at random. The same seed gives the same
 * schedule on every machine.
 *
 * @example runWithFaults({ schedule: randomSchedule(7, 0.05), target: 'healthy' })
 */
export function randomSchedule(seed: number, rate: number, options: { readonly concurrentWriter?: boolean } = {}): FaultSchedule {
  // xoroshiro128+ seeded with a small number draws almost 1 first: spread the seed over 32 bits.
  const random = new Random(Math.imul(seed, 0x9e3779b1));
  const pick = <T>(list: readonly T[]): T => list[Math.min(list.length - 1, Math.floor(random.uniform() * list.length))] as T;
  const writerAt = options.concurrentWriter ? pick(PORT_CALLS) : undefined;
  return (call, nth) => {
    if (call === writerAt && nth === 1) return 'concurrent-writer';
    return random.uniform() < rate ? pick(TRANSIENT_FAULTS) : undefined;
  };
}

export interface InjectedFault {
  readonly call: PortCall;
  readonly nth: number;
  readonly kind: FaultKind;
}

function faultError(kind: FaultKind, call: PortCall): Error {
  switch (kind) {
    case 'throttle':
      return new ThrottledError(`${call}: Rate exceeded (TooManyRequestsException, HTTP 429)`);
    case 'conflict':
      return new UpdateInProgressError(`${call}: The operation cannot be performed at this time. An update is in progress (ResourceConflictException, HTTP 409)`);
    case 'lost-answer':
      return new TransientError(`${call}: socket hang up after the request was sent (the call was applied)`);
    default:
      return new TransientError(`${call}: We encountered an internal error (ServiceException, HTTP 500)`);
  }
}

/** Someone else changes the alias: a small split of their own, or, when it is already theirs, a manual rollback. */
function concurrentWrite(world: SimWorld): void {
  const theirs = { functionVersion: world.baselineVersion, routing: { [world.targetVersion]: 3 } };
  const current = world.aliasState;
  const same = current.functionVersion === theirs.functionVersion && current.routing[world.targetVersion] === 3;
  world.lambda.changeAliasExternally(world.functionName, world.alias, same ? { functionVersion: world.baselineVersion } : theirs, ANOTHER_WRITER);
}

/** Who the concurrent writer is, in the world's alias changes. */
export const ANOTHER_WRITER = 'another writer';

/**
 * The world's ports with every call counted and the scheduled faults injected. Faults are
 * recorded in `injected` as they happen.
 */
export function faultyPorts(world: SimWorld, schedule: FaultSchedule, injected: InjectedFault[]): ReturnType<SimWorld['ports']> {
  const counts = new Map<PortCall, number>();
  const wrap =
    <A extends unknown[], R>(call: PortCall, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const nth = (counts.get(call) ?? 0) + 1;
      counts.set(call, nth);
      const kind = schedule(call, nth);
      if (!kind) return fn(...args);
      injected.push({ call, nth, kind });
      switch (kind) {
        case 'timeout':
          // The call hangs: the task outlives its TimeoutSeconds (virtual time) and Step Functions gives up on it.
          return new Promise<R>(() => {});
        case 'lost-answer':
          await fn(...args);
          throw faultError(kind, call);
        case 'concurrent-writer':
          concurrentWrite(world);
          return fn(...args);
        default:
          throw faultError(kind, call);
      }
    };
  const ports = world.ports();
  const { lambda, registry, code } = ports;
  return {
    ...ports,
    lambda: {
      getVersion: wrap('lambda.getVersion', lambda.getVersion.bind(lambda)),
      getAlias: wrap('lambda.getAlias', lambda.getAlias.bind(lambda)),
      updateAlias: wrap('lambda.updateAlias', lambda.updateAlias.bind(lambda)),
      // Only the Custom::LambdaRollout provider creates aliases; the workflow never does.
      createAlias: lambda.createAlias.bind(lambda),
    },
    metrics: { getMetricData: wrap('metrics.getMetricData', ports.metrics.getMetricData.bind(ports.metrics)) },
    alarms: { describeAlarms: wrap('alarms.describeAlarms', ports.alarms.describeAlarms.bind(ports.alarms)) },
    invoker: { invoke: wrap('invoker.invoke', ports.invoker.invoke.bind(ports.invoker)) },
    notifier: { publish: wrap('notifier.publish', ports.notifier.publish.bind(ports.notifier)) },
    events: { publish: wrap('events.publish', world.events.publish.bind(world.events)) },
    registry: {
      acquire: wrap('registry.acquire', registry.acquire.bind(registry)),
      release: wrap('registry.release', registry.release.bind(registry)),
      getLock: wrap('registry.getLock', registry.getLock.bind(registry)),
      recordProgress: wrap('registry.recordProgress', registry.recordProgress.bind(registry)),
      recordCheck: wrap('registry.recordCheck', registry.recordCheck.bind(registry)),
      // Only a rollout that continues in a new execution hands over: none of the fault suite's does.
      recordHandOff: registry.recordHandOff.bind(registry),
      handOver: registry.handOver.bind(registry),
      finish: wrap('registry.finish', registry.finish.bind(registry)),
      get: registry.get.bind(registry),
      findByExecution: registry.findByExecution.bind(registry),
      list: registry.list.bind(registry),
    },
    code: {
      updateCode: wrap('code.updateCode', code.updateCode.bind(code)),
      getCodeStatus: wrap('code.getCodeStatus', code.getCodeStatus.bind(code)),
      publishVersion: wrap('code.publishVersion', code.publishVersion.bind(code)),
      findVersion: wrap('code.findVersion', code.findVersion.bind(code)),
    },
  };
}

/** Each call's count in a run: how often the workflow calls each port, to aim faults at a later call. */
export function countingPorts(world: SimWorld, counts: Map<PortCall, number>): ReturnType<SimWorld['ports']> {
  const count: FaultSchedule = (call, nth) => {
    counts.set(call, nth);
    return undefined;
  };
  return faultyPorts(world, count, []);
}

/** A rollout whose target is healthy (no errors, like its baseline) or crashing (every request fails). */
export type TargetKind = 'healthy' | 'crashing';

export interface FaultRunOptions {
  readonly schedule: FaultSchedule;
  readonly target: TargetKind;
  /** Start from an uploaded artifact (the code release calls), instead of a published version. */
  readonly release?: boolean;
  readonly seed?: number;
}

/** The invariants, by name: what must hold after every run, whatever failed. */
export const INVARIANTS = {
  'alias-whole': 'the alias routes wholly to one version, or is left as another writer set it',
  'target-only-if-promoted': 'the alias is wholly on the target only if the rollout promoted it',
  'promoted-on-target': 'a promoted rollout left the alias wholly on the target (unless someone else changed it after)',
  'crash-never-promoted': 'a crashing target is never promoted',
  'lock-released': 'the lock is released (by the workflow, or by the guard)',
  'record-holds-outcome': "the registry record holds the rollout's ending, as the execution ended",
  'named-ending': 'the execution ended in a named state with a one-line cause',
  'revision-on-every-write': 'every alias write carried a RevisionId',
  'nobody-overwritten': "no write went over someone else's change",
} as const;
export type InvariantName = keyof typeof INVARIANTS;

export interface Violation {
  readonly invariant: InvariantName;
  readonly detail: string;
}

/** How a run ended, in the registry's words where it has them. */
export type Ending = 'promoted' | 'rolled_back' | 'drift' | 'refused' | 'failed';

export interface FaultRunReport {
  readonly ending: Ending;
  readonly execution: { readonly status: WorkflowRun['status']; readonly error?: string; readonly cause?: string };
  readonly target: TargetKind;
  readonly release: boolean;
  readonly injected: readonly InjectedFault[];
  /** Whether someone else changed the alias during the run. */
  readonly concurrentWriter: boolean;
  readonly guard?: GuardResult;
  readonly violations: readonly Violation[];
}

/** The workflow's named endings: the Fail states' errors. */
const NAMED_ERRORS: readonly string[] = [ErrorName.RolledBack, ErrorName.Drift, ErrorName.Refused, ErrorName.InvalidInput, ErrorName.RollbackFailed, ErrorName.LockNotReleased];
const ENDING_OF_ERROR: Readonly<Record<string, Ending>> = {
  [ErrorName.RolledBack]: 'rolled_back',
  [ErrorName.Drift]: 'drift',
  [ErrorName.Refused]: 'refused',
  [ErrorName.InvalidInput]: 'refused',
};

const ROLLOUT_ID = 'faults';
const healthy = { errorRate: 0, p50Ms: 40, p99Ms: 200 };
const crashing = { errorRate: 1, p50Ms: 40, p99Ms: 200 };

/**
 * The fault scenario: a fast two-step rollout (10% then 50%, a minute each) at 200 requests per
 * second with no metric delay, watching an alarm and (for a healthy target) sending two probes
 * per step, so that one run calls every port in a few milliseconds. "Healthy" has no errors at all: a false rollback by
 * the judge's statistics is the judge's business (npm run bench:health), not a fault's.
 */
export function faultWorld(target: TargetKind, seed = 1): SimWorld {
  const world = new SimWorld({ rate: 200, baseline: healthy, target: target === 'healthy' ? healthy : crashing, metricDelaySeconds: 0, seed });
  world.putAliasErrorAlarm('orders-errors', 50);
  return world;
}

/** Whether a run sends probes: a healthy target's runs do, a crashing target's do not (see {@link faultInput}). */
export const probesFor = (target: TargetKind): boolean => target === 'healthy';

/**
 * The fault scenario's rollout input: from the published target, or from an uploaded artifact.
 * The probes verify the target before any traffic moves, so a crashing target sent with them is
 * refused at VerifyTarget and never reaches a rollback: {@link probesFor} leaves them out of a
 * crashing target's runs, so that faults are tried against the rollback path too.
 */
export function faultInput(world: SimWorld, release: boolean, probes = true): Record<string, unknown> {
  return {
    functionName: world.functionName,
    alias: world.alias,
    rolloutId: ROLLOUT_ID,
    strategy: { type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 60 }, { weightPercent: 50, bakeSeconds: 60 }] },
    health: { metricDelaySeconds: 0, alarms: { names: ['orders-errors'] }, ...(probes ? { probes: { count: 2 } } : {}) },
    ...(release
      ? { release: { s3Bucket: 'artifacts', s3Key: 'releases/orders/live/faults.zip', s3ObjectVersion: `v-${world.startTime}`, build: 'faults' } }
      : { targetVersion: world.targetVersion }),
  };
}

/** The finished execution as Step Functions would describe it and keep its history, for the guard. */
function recordedExecution(run: WorkflowRun, executionArn: string): Pick<Workflow, 'describe' | 'findInHistory'> {
  return {
    describe: async (): Promise<ExecutionInfo> => ({
      executionArn,
      name: run.executionName,
      status: run.status,
      startedAt: new Date(run.startedAt).toISOString(),
      stoppedAt: new Date(run.endedAt).toISOString(),
      ...(run.error ? { error: run.error.Error, cause: run.error.Cause } : {}),
    }),
    findInHistory: async <T>(_: string, pick: (data: unknown) => T | undefined) => {
      for (let i = run.events.length - 1; i >= 0; i--) {
        const state = (run.events[i] as { state?: { output?: unknown; input?: unknown } }).state;
        for (const data of [state?.output, state?.input]) {
          const found = data === undefined ? undefined : pick(structuredClone(data));
          if (found !== undefined) return found;
        }
      }
      return undefined;
    },
  };
}

/** Runs the fault scenario under a schedule, has the guard act on a failed execution, and checks every invariant. */
export async function runWithFaults(options: FaultRunOptions): Promise<FaultRunReport> {
  const world = faultWorld(options.target, options.seed);
  const release = options.release === true;
  const injected: InjectedFault[] = [];
  const run = await world.rehearse(faultInput(world, release, probesFor(options.target)), { ports: faultyPorts(world, options.schedule, injected), executionName: ROLLOUT_ID });
  const executionArn = run.lastState?.rollout.executionArn ?? `arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:${ROLLOUT_ID}`;
  const guard =
    run.status === 'FAILED'
      ? await makeGuard({ registry: world.registry, workflow: recordedExecution(run, executionArn), lambda: world.lambda, notifier: world.notifier, events: world.events, concurrency: world.lambda, clock: { now: () => run.endedAt } })({
          detail: { executionArn, status: 'FAILED', error: run.error?.Error ?? null, cause: run.error?.Cause ?? null },
        })
      : undefined;
  const record = await world.registry.get(ROLLOUT_ID);
  const ending: Ending = run.status === 'SUCCEEDED' ? 'promoted' : (ENDING_OF_ERROR[run.error?.Error ?? ''] ?? (record?.status === 'promoted' ? 'promoted' : record?.status === 'drift' ? 'drift' : 'failed'));
  const violations = await invariantsAfter(world, run, { ending, target: options.target, record, guard });
  return {
    ending,
    execution: { status: run.status, ...(run.error ? { error: run.error.Error, cause: run.error.Cause } : {}) },
    target: options.target,
    release,
    injected,
    concurrentWriter: world.lambda.aliasChanges.some((c) => c.by === ANOTHER_WRITER),
    ...(guard ? { guard } : {}),
    violations,
  };
}

/** Every invariant broken by a finished run (after the guard). */
async function invariantsAfter(
  world: SimWorld,
  run: WorkflowRun,
  known: { ending: Ending; target: TargetKind; record: Awaited<ReturnType<SimWorld['registry']['get']>>; guard: GuardResult | undefined },
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const broken = (invariant: InvariantName, detail: string) => violations.push({ invariant, detail });
  const alias = world.aliasState;
  const changes = world.lambda.aliasChanges;
  const lastOurs = changes.map((c) => c.by).lastIndexOf('rollout');
  const lastTheirs = changes.map((c) => c.by).lastIndexOf(ANOTHER_WRITER);
  // Theirs stands when it came after every write of the rollout (and of the guard): the rollout must leave it.
  const theirsStands = lastTheirs > lastOurs;
  const target = run.lastState?.rollout.targetVersion ?? world.targetVersion;
  const split = Object.values(alias.routing).some((w) => w > 0);
  const promoted = known.ending === 'promoted';

  if (split && !theirsStands) broken('alias-whole', `the alias is left split: v${alias.functionVersion} + ${JSON.stringify(alias.routing)}`);
  if (!split && alias.functionVersion === target && !promoted) broken('target-only-if-promoted', `the alias is wholly on v${target} but the rollout ended ${known.ending}`);
  if (promoted && !theirsStands && (split || alias.functionVersion !== target)) broken('promoted-on-target', `promoted, but the alias routes v${alias.functionVersion} + ${JSON.stringify(alias.routing)}`);
  if (promoted && known.target === 'crashing') broken('crash-never-promoted', 'a crashing target was promoted');

  const lock = await world.registry.getLock(world.functionName, world.alias);
  if (lock) broken('lock-released', `rollout ${lock.rolloutId} still holds the lock (${lock.status})`);

  const named = run.status === 'SUCCEEDED' || NAMED_ERRORS.includes(run.error?.Error ?? '');
  const cause = run.error?.Cause ?? '';
  if (!named) broken('named-ending', `the execution ended ${run.error?.Error ?? run.status}`);
  else if (run.status === 'FAILED' && (cause.trim() === '' || /\n/.test(cause))) broken('named-ending', `the cause is not one line: ${JSON.stringify(cause.slice(0, 200))}`);

  const { record } = known;
  const tookTheLock = record?.lockedAt !== undefined;
  if (tookTheLock && record?.endedAt === undefined) broken('record-holds-outcome', `the record is still ${record?.status}`);
  const expected: Partial<Record<Ending, string[]>> = { promoted: ['promoted'], rolled_back: ['rolled_back'], drift: ['drift'], refused: ['refused'] };
  const allowed = expected[known.ending];
  if (record?.endedAt !== undefined && allowed && !allowed.includes(record.status)) broken('record-holds-outcome', `the execution ended ${known.ending}, the record says ${record.status}`);
  if (changes.some((c) => c.by === 'rollout') && !record) broken('record-holds-outcome', 'traffic moved but there is no record');

  for (const call of world.lambda.calls.filter((c) => c.op === 'updateAlias')) {
    if (!(call.args as { revisionId?: string }).revisionId) broken('revision-on-every-write', `UpdateAlias without a RevisionId: ${JSON.stringify(call.args)}`);
  }

  // A write of the rollout that used a revision someone else made, after the rollout had written: an overwrite.
  const firstOurs = changes.findIndex((c) => c.by === 'rollout');
  changes.forEach((c, i) => {
    if (c.by !== 'rollout' || firstOurs < 0 || i <= firstOurs) return;
    const before = changes[i - 1];
    if (before?.by === ANOTHER_WRITER && changes.slice(0, i - 1).some((p) => p.by === 'rollout')) {
      broken('nobody-overwritten', `the rollout wrote over ${ANOTHER_WRITER}'s revision ${before.revisionId}`);
    }
  });
  return violations;
}
