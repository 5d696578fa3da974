/**
 * A rehearsal: one scenario, one seeded world, the real workflow run to its end in virtual time,
 * and what a person wants to know afterwards: how it ended and why, each step's verdict and
 * numbers, what the new version served, how long a bad version hurt before the rollback.
 */
import { parseControlRequest } from '../functions/core/control.js';
import { type ParsedInput, parseRolloutInput } from '../functions/core/input.js';
import { systemClock } from '../functions/ports.js';
import { requestControl } from '../functions/tasks/control.js';
import type { AliasState } from '../functions/core/lambda-model.js';
import type { VerdictKind } from '../functions/core/health.js';
import type { NextAction, StepRecord } from '../functions/core/state.js';
import type { AliasChange } from './lambda.js';
import { rolloutStateIn, type EventLog, type WorkflowRun } from './runner.js';
import { rateOf, type Scenario } from './scenarios.js';
import { SimWorld } from './world.js';

export type RehearsalOutcome = 'promoted' | 'rolled_back' | 'failed';

/** Requests that reached a version through the alias (throttled ones included), and how many failed. */
export interface Served {
  readonly requests: number;
  readonly errors: number;
}

/** What CloudWatch counted for a version: Invocations (throttled requests are not invocations) and Errors. */
export interface Invoked {
  readonly invocations: number;
  readonly errors: number;
}

export interface RehearsalStep {
  /** 1-based; the final bake after promotion comes after the plan's steps. */
  readonly step: number;
  /** The final bake after promotion, at 100%: present (true) only on it. */
  readonly final?: true;
  readonly weightPercent: number;
  readonly startedAtSeconds: number;
  readonly checks: number;
  readonly verdict: VerdictKind | null;
  readonly reason: string | null;
  /** What the last check of the step saw in CloudWatch, per version, since the target first got traffic. */
  readonly target: Invoked;
  readonly baseline: Invoked;
  /**
   * The complete minutes the step's last check had judged, seconds since the start ([from, to)),
   * the weights they were served at, and how many were served entirely at the step's weight.
   */
  readonly judged: { readonly fromSeconds: number; readonly toSeconds: number; readonly weights: readonly number[]; readonly atWeight: number } | null;
}

export interface RehearsalCheck {
  readonly atSeconds: number;
  readonly step: number;
  readonly weightPercent: number;
  readonly verdict: VerdictKind;
  readonly reason: string;
  /** What the workflow did next. */
  readonly next: NextAction;
}

export interface TimelinePoint {
  /** Start of the minute, seconds since the rollout started. */
  readonly atSeconds: number;
  /** Share of traffic the target had over the minute, percent. */
  readonly targetWeightPercent: number;
  readonly target: Served & { readonly p99Ms: number | null };
  readonly baseline: Served & { readonly p99Ms: number | null };
}

export interface RehearsalResult {
  readonly scenario: string;
  readonly description: string;
  readonly seed: number;
  readonly strategy: string;
  readonly outcome: RehearsalOutcome;
  /** One line: why it ended this way. */
  readonly reason: string;
  /** The execution's error name when it did not promote. */
  readonly error: string | null;
  readonly durationSeconds: number;
  readonly steps: readonly RehearsalStep[];
  readonly checks: readonly RehearsalCheck[];
  /** What each version really served through the alias (the simulation's ground truth). */
  readonly target: Served & { readonly version: string; readonly throttles: number };
  readonly baseline: Served & { readonly version: string; readonly throttles: number };
  /**
   * When the alias took the routing it was left with (the promotion or rollback, or someone else's
   * change), seconds since the start; the execution's end when the alias did not change during the
   * run. The execution itself may end later: the states after the last write may retry.
   */
  readonly endedAtSeconds: number;
  /**
   * When the target, serving traffic, started behaving worse than the baseline, seconds since the
   * start; null when it never did while it served.
   */
  readonly badFromSeconds: number | null;
  /** From badFromSeconds to the rollback; null when nothing was bad or it was not rolled back. */
  readonly detectionSeconds: number | null;
  /** The target behaved worse than the baseline and the alias still sends it traffic: a bad version not caught. */
  readonly missed: boolean;
  readonly finalAlias: { readonly version: string; readonly routing: Readonly<Record<string, number>> };
  readonly notifications: readonly { readonly atSeconds: number; readonly type: string; readonly subject: string }[];
  readonly timeline: readonly TimelinePoint[];
  /**
   * What happened around the traffic, for scenarios with hooks, gates, a person acting or provisioned
   * concurrency: each hook's answer, each request and its answer, each provisioned concurrency change.
   * Absent for scenarios without them.
   */
  readonly lifecycle?: readonly LifecycleEvent[];
}

/** One moment around the traffic: a hook answered, a person asked, provisioned concurrency changed. */
export interface LifecycleEvent {
  readonly atSeconds: number;
  readonly what: string;
}

/**
 * What a live display is told as the rehearsal goes. `step` is 1-based, of the plan's `steps`
 * (0 before the first shift); `weightPercent` is the target's weight. The last event, 'ended',
 * carries the plan's step count, the step the rollout was at, the target's weight in the alias
 * left behind, and the outcome.
 */
export interface RehearsalProgress {
  readonly kind: 'shifted' | 'checked' | 'promoted' | 'rolled_back' | 'ended';
  readonly atSeconds: number;
  readonly step: number;
  readonly steps: number;
  readonly weightPercent: number;
  readonly outcome?: RehearsalOutcome | undefined;
  readonly verdict?: VerdictKind | undefined;
  readonly reason?: string | undefined;
  readonly next?: NextAction | undefined;
  readonly target: Served;
  readonly baseline: Served;
}

export interface RehearseOptions {
  readonly onProgress?: (progress: RehearsalProgress) => void;
  /** Prepares the world before the run (alarms, faults). */
  readonly setup?: (world: SimWorld) => void;
}

/** The hook function a scenario's hook of `kind` is, in the rehearsal's world. */
const hookFunction = (kind: string) => `rehearsal-${kind}-hook`;

/** The rollout input a scenario stands for, as a caller would pass it to the workflow. */
function callerInputOf(scenario: Scenario, world: Pick<SimWorld, 'functionName' | 'alias' | 'targetVersion'>) {
  const hooks = Object.entries(scenario.hooks ?? {}).map(([kind, h]) => [kind, { function: hookFunction(kind), ...(h?.timeoutSeconds !== undefined ? { timeoutSeconds: h.timeoutSeconds } : {}) }]);
  return {
    functionName: world.functionName,
    alias: world.alias,
    targetVersion: world.targetVersion,
    ...(scenario.strategy !== undefined ? { strategy: scenario.strategy } : {}),
    ...(scenario.health !== undefined ? { health: scenario.health } : {}),
    ...(hooks.length > 0 ? { hooks: Object.fromEntries(hooks) } : {}),
    ...(scenario.gates !== undefined ? { gates: scenario.gates } : {}),
    ...(scenario.finalBakeSeconds !== undefined ? { finalBakeSeconds: scenario.finalBakeSeconds } : {}),
    ...(scenario.concurrency?.input !== undefined ? { provisionedConcurrency: scenario.concurrency.input } : {}),
  };
}

/**
 * Sets the world up as the scenario says: its hook functions, the alias's provisioned concurrency
 * and how warming up behaves. Returns the person's requests, to schedule, and where their answers go.
 */
function stageWorld(scenario: Scenario, world: SimWorld, lifecycle: LifecycleEvent[]) {
  for (const [kind, hook] of Object.entries(scenario.hooks ?? {})) {
    if (!hook) continue;
    const { timeoutSeconds: _timeout, ...script } = hook;
    world.hooks.register(hookFunction(kind), script);
  }
  const c = scenario.concurrency;
  if (c) {
    if (c.alias !== undefined) world.lambda.provision(world.functionName, world.alias, c.alias);
    world.lambda.setConcurrency({
      ...(c.warmupSeconds !== undefined ? { warmupSeconds: c.warmupSeconds } : {}),
      ...(c.failWith !== undefined ? { failWith: c.failWith } : {}),
      ...(c.unreserved !== undefined ? { unreserved: c.unreserved } : {}),
      ...(c.reserved !== undefined ? { reserved: { [world.functionName]: c.reserved } } : {}),
    });
  }
  const ports = { registry: world.registry, controls: world.controls, tokens: world.tokens, clock: systemClock };
  return (scenario.operator ?? []).map((act) => ({
    atSeconds: act.atSeconds,
    run: async () => {
      // The execution is named 'rehearsal', so the rollout is too.
      const answer = await requestControl(ports, 'rehearsal', parseControlRequest(act.action, act.body ?? {}), 'rehearsal operator');
      const body = answer.body as { error?: string };
      lifecycle.push({ atSeconds: seconds(world.startTime, Date.now()), what: `${act.action} asked: ${answer.statusCode}${body.error ? ` (${body.error})` : ''}` });
    },
  }));
}

/** The rollout input a scenario stands for, parsed, with its plan. Throws InvalidInputError for a bad strategy or policy. */
export function rolloutInputOf(scenario: Scenario, world: Pick<SimWorld, 'functionName' | 'alias' | 'targetVersion'>): ParsedInput {
  return parseRolloutInput(callerInputOf(scenario, world));
}

const seconds = (from: number, to: number) => Math.round((to - from) / 10) / 100;

/**
 * The first moment, seconds from the start, at which the target behaves worse than the baseline
 * (a higher error rate, a p99 over 1.2x the baseline's, or a higher throttle rate), as the world's
 * traffic model has them behave; null when it never does. Behaviour only changes at the scenario's
 * change moments, so those are the moments looked at, in order of time.
 */
export function firstBadSecond(scenario: Scenario, world: Pick<SimWorld, 'traffic' | 'startTime' | 'targetVersion' | 'baselineVersion'>): number | null {
  const changes = [...(scenario.target.changes ?? []), ...(scenario.baseline.changes ?? [])];
  const moments = [0, ...changes.map((c) => c.atSeconds)].sort((a, b) => a - b);
  const worseAt = (second: number) => {
    const at = world.startTime + second * 1000;
    const t = world.traffic.behaviourAt(world.targetVersion, at);
    const b = world.traffic.behaviourAt(world.baselineVersion, at);
    return t.errorRate > b.errorRate || t.p99Ms > b.p99Ms * 1.2 || (t.throttleRate ?? 0) > (b.throttleRate ?? 0);
  };
  return moments.find(worseAt) ?? null;
}

/**
 * A plan longer than this is rehearsed with traffic generated a minute at a time instead of a
 * second at a time: the same distribution in every minute (what CloudWatch and the checks read),
 * at a sixtieth of the cost, so that a 30-day bake rehearses in seconds.
 */
export const MINUTE_TRAFFIC_AFTER_SECONDS = 6 * 60 * 60;

/** A rehearsal's timeline has about this many points at most: a long one has wider buckets. */
export const MAX_TIMELINE_POINTS = 1440;

/** How the world generates a plan's traffic: slice and timeline bucket widths, in seconds. */
export function trafficResolution(plannedSeconds: number): { trafficSliceSeconds: number; timelineSeconds: number } {
  return {
    trafficSliceSeconds: plannedSeconds > MINUTE_TRAFFIC_AFTER_SECONDS ? 60 : 1,
    timelineSeconds: 60 * Math.max(1, Math.ceil(plannedSeconds / 60 / MAX_TIMELINE_POINTS)),
  };
}

/** Runs one rehearsal of a scenario. */
export async function rehearse(scenario: Scenario, options: RehearseOptions = {}): Promise<RehearsalResult> {
  // Refuses a bad strategy or policy before anything runs, as the workflow would. The world's
  // names (its defaults) do not change the plan, which sets how finely the world generates traffic.
  const parsed = parseRolloutInput(callerInputOf(scenario, { functionName: 'orders', alias: 'live', targetVersion: '2' }));
  const world = new SimWorld({
    rate: rateOf(scenario),
    baseline: scenario.baseline,
    target: scenario.target,
    metricDelaySeconds: scenario.metricDelaySeconds,
    seed: scenario.seed,
    ...trafficResolution(parsed.plan.totalBakeSeconds),
    // A final bake compares the target with the baseline's hour before the rollout.
    ...(scenario.finalBakeSeconds ? { historySeconds: 3600 } : {}),
  });
  const lifecycle: LifecycleEvent[] = [];
  const schedule = stageWorld(scenario, world, lifecycle);
  options.setup?.(world);
  const input = callerInputOf(scenario, world);
  const t0 = world.startTime;
  const totalsNow = () => {
    const totals = world.traffic.totals();
    return { target: servedOf(totals[world.targetVersion]), baseline: servedOf(totals[world.baselineVersion]) };
  };
  const checks: RehearsalCheck[] = [];
  const onEvent = (event: EventLog) => {
    if (event.type !== 'StateExited') return;
    const name = (event as { state: { name: string } }).state.name;
    const state = rolloutStateIn(event);
    if (!state) return;
    const last = state.history.at(-1);
    const base = {
      atSeconds: seconds(t0, event.timestamp),
      step: state.cursor.step + 1,
      steps: state.rollout.plan.steps.length,
      weightPercent: state.cursor.weightPercent,
    };
    const check: RehearsalCheck | undefined =
      (name === 'CheckHealth' || name === 'CheckReadableEvidence') && last?.verdict
        ? { atSeconds: base.atSeconds, step: last.step + 1, weightPercent: last.weightPercent, verdict: last.verdict, reason: last.reason ?? '', next: state.cursor.next }
        : undefined;
    if (check) checks.push(check);
    world.settle(event.timestamp);
    const progress = (kind: RehearsalProgress['kind'], extra: Partial<RehearsalProgress> = {}) =>
      options.onProgress?.({ kind, ...base, ...totalsNow(), ...extra });
    if (name === 'ShiftWeight') progress('shifted');
    if (check) progress('checked', check);
    if (name === 'Finalize') progress('promoted', { weightPercent: 100, reason: state.outcome?.reason });
    if (name === 'Rollback') progress('rolled_back', { weightPercent: 0, reason: state.outcome?.reason });
  };

  const changesBefore = world.lambda.aliasChanges.length;
  // A long rehearsal has hundreds of thousands of events: watch them as they come, keep none.
  const run = await world.rehearse(input, { onEvent, keepEvents: false, schedule });
  world.settle(run.endedAt);
  const around = [
    ...lifecycle,
    ...world.hooks.calls.map((c) => ({ atSeconds: seconds(t0, c.at), what: `${c.hook} hook answered ${c.answer}` })),
    ...world.tokens.answers.map((a) => ({ atSeconds: seconds(t0, a.at), what: 'error' in a ? `task token answered ${a.error}: ${a.cause}` : `task token answered: ${JSON.stringify(a.output)}` })),
    ...world.lambda.provisionedChanges.map((c) => ({ atSeconds: seconds(t0, c.at), what: c.executions > 0 ? `provisioned concurrency ${c.executions} requested on v${c.qualifier}` : `provisioned concurrency removed from v${c.qualifier}` })),
  ].sort((a, b) => a.atSeconds - b.atSeconds);
  const result = summarise(scenario, parsed, world, run, checks, world.lambda.aliasChanges.slice(changesBefore), around);
  options.onProgress?.({
    kind: 'ended',
    atSeconds: result.durationSeconds,
    step: (run.lastState?.cursor.step ?? -1) + 1,
    steps: parsed.plan.steps.length,
    weightPercent: weightOf(world.aliasState, world.targetVersion),
    outcome: result.outcome,
    reason: result.reason,
    ...totalsNow(),
  });
  return result;
}

/** Requests and errors out of a version's totals; none when it served nothing. */
function servedOf(totals: Served | undefined): Served {
  return { requests: totals?.requests ?? 0, errors: totals?.errors ?? 0 };
}

/** The weight `version` has in an alias, percent (routing weights are percent). */
function weightOf(alias: Pick<AliasState, 'functionVersion' | 'routing'>, version: string): number {
  if (alias.functionVersion !== version) return alias.routing[version] ?? 0;
  return 100 - Object.entries(alias.routing).reduce((t, [v, w]) => (v === version ? t : t + w), 0);
}

/** The result of a run: `aliasChanges` are the alias writes made while it ran, by anyone; `lifecycle` what happened around the traffic. */
function summarise(
  scenario: Scenario,
  parsed: ParsedInput,
  world: SimWorld,
  run: WorkflowRun,
  checks: RehearsalCheck[],
  aliasChanges: readonly AliasChange[],
  lifecycle: readonly LifecycleEvent[],
): RehearsalResult {
  const t0 = world.startTime;
  const final = run.lastState;
  const outcome: RehearsalOutcome =
    run.status === 'SUCCEEDED' ? 'promoted' : run.error?.Error === 'RolloutRolledBack' ? 'rolled_back' : 'failed';
  const reason = outcome === 'promoted' ? (final?.outcome?.reason ?? 'promoted') : (run.error?.Cause ?? 'failed');
  const totals = world.traffic.totals();
  const version = (v: string) => ({ version: v, ...servedOf(totals[v]), throttles: totals[v]?.throttles ?? 0 });
  const invoked = (c: Invoked | undefined): Invoked => ({ invocations: c?.invocations ?? 0, errors: c?.errors ?? 0 });
  const step = (r: StepRecord): RehearsalStep => ({
    step: r.step + 1,
    ...(r.final ? { final: true as const } : {}),
    weightPercent: r.weightPercent,
    startedAtSeconds: seconds(t0, r.shiftedAt),
    checks: r.checks,
    verdict: r.verdict ?? null,
    reason: r.reason ?? null,
    target: invoked(r.target),
    baseline: invoked(r.baseline),
    judged: r.judged ? { fromSeconds: seconds(t0, r.judged.from), toSeconds: seconds(t0, r.judged.to), weights: r.judged.weights, atWeight: r.judged.atWeight } : null,
  });
  const alias = world.aliasState;
  const finalWeight = weightOf(alias, world.targetVersion);
  const rolloutChanges = aliasChanges.filter((c) => c.by === 'rollout');
  const firstShift = rolloutChanges[0]?.at;
  const lastWrite = aliasChanges.at(-1)?.at ?? run.endedAt;
  // The target served from the first shift until the end, or until the write that took all its traffic.
  const servedUntil = finalWeight > 0 ? run.endedAt : lastWrite;
  const bad = firstBadSecond(scenario, world);
  const badSince = bad === null || firstShift === undefined ? null : Math.max(t0 + bad * 1000, firstShift);
  const badFrom = badSince !== null && badSince <= servedUntil ? badSince : null;
  const rollback = rolloutChanges.at(-1);
  const detectionSeconds = outcome === 'rolled_back' && badFrom !== null && rollback ? seconds(badFrom, rollback.at) : null;
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed: scenario.seed,
    strategy: parsed.plan.strategy,
    outcome,
    reason,
    error: run.error?.Error ?? null,
    durationSeconds: seconds(run.startedAt, run.endedAt),
    steps: (final?.history ?? []).map(step),
    checks,
    target: version(world.targetVersion),
    baseline: version(world.baselineVersion),
    endedAtSeconds: seconds(t0, lastWrite),
    badFromSeconds: badFrom === null ? null : seconds(t0, badFrom),
    detectionSeconds,
    missed: badFrom !== null && finalWeight > 0,
    finalAlias: { version: alias.functionVersion, routing: { ...alias.routing } },
    notifications: world.notifier.published.map((n) => ({ atSeconds: seconds(t0, n.at), type: n.type, subject: n.subject })),
    timeline: world.traffic
      .timeline()
      .filter((b) => b.startTime < run.endedAt)
      .map((b) => {
        const of = (v: string) => {
          const x = b.versions[v];
          return { ...servedOf(x), p99Ms: x?.p99Ms === undefined ? null : Math.round(x.p99Ms) };
        };
        return { atSeconds: seconds(t0, b.startTime), targetWeightPercent: Math.round((b.weights[world.targetVersion] ?? 0) * 100) / 100, target: of(world.targetVersion), baseline: of(world.baselineVersion) };
      }),
    ...(lifecycle.length > 0 ? { lifecycle } : {}),
  };
}

export interface Distribution {
  readonly median: number | null;
  readonly p95: number | null;
  readonly n: number;
}

export interface RehearsalSummary {
  readonly scenario: string;
  readonly strategy: string;
  readonly runs: number;
  readonly firstSeed: number;
  /** How many runs ended each way. */
  readonly outcomeCounts: Readonly<Record<RehearsalOutcome, number>>;
  /** The share of runs that ended each way, a fraction from 0 to 1 (1 = every run), not a percentage. */
  readonly outcomeShares: Readonly<Record<RehearsalOutcome, number>>;
  readonly durationSeconds: Distribution;
  readonly detectionSeconds: Distribution;
  /** Failed requests the new version served. */
  readonly targetErrors: Distribution;
  readonly targetRequests: Distribution;
}

/** Median and 95th percentile (nearest rank) of the values that exist. */
export function distribution(values: readonly (number | null)[]): Distribution {
  const xs = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const rank = (q: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))] ?? null;
  return { median: xs.length ? rank(0.5) : null, p95: xs.length ? rank(0.95) : null, n: xs.length };
}

/** Runs a scenario with `runs` consecutive seeds, each with `options`, and summarises the distribution. */
export async function rehearseMany(scenario: Scenario, runs: number, options: RehearseOptions = {}): Promise<{ summary: RehearsalSummary; results: RehearsalResult[] }> {
  const results: RehearsalResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await rehearse({ ...scenario, seed: scenario.seed + i }, options));
  const counted = (o: RehearsalOutcome) => results.filter((r) => r.outcome === o).length;
  return {
    results,
    summary: {
      scenario: scenario.name,
      strategy: results[0]?.strategy ?? '',
      runs,
      firstSeed: scenario.seed,
      outcomeCounts: { promoted: counted('promoted'), rolled_back: counted('rolled_back'), failed: counted('failed') },
      outcomeShares: { promoted: counted('promoted') / runs, rolled_back: counted('rolled_back') / runs, failed: counted('failed') / runs },
      durationSeconds: distribution(results.map((r) => r.durationSeconds)),
      detectionSeconds: distribution(results.map((r) => r.detectionSeconds)),
      targetErrors: distribution(results.map((r) => r.target.errors)),
      targetRequests: distribution(results.map((r) => r.target.requests)),
    },
  };
}
