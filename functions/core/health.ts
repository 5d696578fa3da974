/**
 * The health policy and the signal judges. Every judge is pure: counts and percentiles in, a
 * signal out (healthy, unhealthy, inconclusive or skipped, its numbers and a one-line reason).
 * Too little evidence is inconclusive, never healthy.
 */
import * as z from 'zod';
import { originEvidence, type Trials, twoProportionZ, wilsonLower, wilsonUpper } from './judge.js';
import type { SlowTest, Tally } from './tally.js';
import { jsonBytes, MAX_PROBE_PAYLOAD_BYTES } from './limits.js';
import { normalUpperQuantile } from './normal.js';

const int = (rule: string) => z.number({ error: rule }).int({ error: rule });
const fraction = (rule: string) => z.number({ error: rule }).min(0, { error: rule }).max(1, { error: rule });

const PercentileLimit = z.strictObject({
  /**
   * A request is slow when it takes longer than the baseline's percentile (measured before the
   * test looks) times this...
   */
  maxRatio: z.number({ error: 'must be a ratio of at least 1' }).min(1, { error: 'must be a ratio of at least 1' }).default(1.5),
  /** ...and longer by more than this many milliseconds. The target is too slow when more of its requests than the percentile allows (1% for p99, 10% for p90) are slow, and the sequential test finds slow requests coming from it more often than from the baseline. */
  maxIncreaseMs: z.number({ error: 'must be milliseconds, 0 or more' }).min(0, { error: 'must be milliseconds, 0 or more' }).default(25),
});

const DIMENSION_VALUE = /^[^\n]{1,1024}$/;

export const CustomMetricSchema = z
  .strictObject({
    /** A short name shown in verdicts. */
    name: z.string({ error: 'must be a name' }).regex(/^[\w .:-]{1,64}$/, { error: 'must be 1-64 letters, digits, spaces or ._:-' }),
    namespace: z.string({ error: 'must be a CloudWatch namespace' }).min(1, { error: 'must be a CloudWatch namespace' }).max(255, { error: 'must be at most 255 characters' }),
    metricName: z.string({ error: 'must be a metric name' }).min(1, { error: 'must be a metric name' }).max(255, { error: 'must be at most 255 characters' }),
    /** Values may use ${version} (the version judged), ${functionName} and ${alias}. */
    dimensions: z.record(z.string(), z.string().regex(DIMENSION_VALUE, { error: 'values must be 1-1024 characters on one line' })).default({}),
    /** Sum, Average, SampleCount, Minimum, Maximum or a percentile such as p99. */
    stat: z.string({ error: 'must be a statistic' }).regex(/^(Sum|Average|SampleCount|Minimum|Maximum|p\d{1,2}(\.\d{1,2})?)$/, { error: 'must be Sum, Average, SampleCount, Minimum, Maximum or a percentile like p99' }),
    /** `threshold`: the target's value against a fixed number; `baseline`: the target's against the baseline's. */
    compare: z.enum(['threshold', 'baseline'], { error: 'must be "threshold" or "baseline"' }),
    threshold: z.number({ error: 'must be a number' }).optional(),
    /** Which direction is bad. Default above. */
    worseWhen: z.enum(['above', 'below'], { error: 'must be "above" or "below"' }).default('above'),
    /** For `baseline`: how much worse, relatively, the target may be. Default 0.2 (20%). */
    tolerance: z.number({ error: 'must be a fraction, 0 or more' }).min(0, { error: 'must be a fraction, 0 or more' }).default(0.2),
    /** No datapoint is inconclusive (default) or unhealthy; never healthy. */
    missingData: z.enum(['inconclusive', 'unhealthy'], { error: 'must be "inconclusive" or "unhealthy"' }).default('inconclusive'),
    /** Judged, recorded and reported, never a cause of rollback (nor of an early advance). Default false. */
    dryRun: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .refine((m) => m.compare !== 'threshold' || m.threshold !== undefined, { error: 'is required when compare is "threshold"', path: ['threshold'] })
  .refine((m) => m.compare !== 'baseline' || Object.values(m.dimensions).some((v) => v.includes('${version}')), {
    error: 'must use ${version} in a dimension value when compare is "baseline", so the two versions differ',
    path: ['dimensions'],
  });

export type CustomMetric = z.output<typeof CustomMetricSchema>;

/** The most probes one round may send: they go one after another within one task's 120 s. */
export const MAX_PROBES_PER_ROUND = 100;

export const ProbeSchema = z.strictObject({
  /** The event each probe invocation sends, as JSON: at most `MAX_PROBE_PAYLOAD_BYTES`. */
  payload: z
    .unknown()
    .default({})
    .refine((p) => (jsonBytes(p) ?? 0) <= MAX_PROBE_PAYLOAD_BYTES, { error: `must be at most ${MAX_PROBE_PAYLOAD_BYTES} bytes as JSON` }),
  /** Probes per round: before any traffic moves, then once per step (or every `everySeconds`). Default 3. */
  count: int(`must be a whole number from 1 to ${MAX_PROBES_PER_ROUND}`).min(1, { error: `must be a whole number from 1 to ${MAX_PROBES_PER_ROUND}` }).max(MAX_PROBES_PER_ROUND, { error: `must be a whole number from 1 to ${MAX_PROBES_PER_ROUND}` }).default(3),
  /** Send a round at the first check of each step and again whenever this long has passed since the last. Default: once per step. */
  everySeconds: int('must be whole seconds, at least 60').min(60, { error: 'must be whole seconds, at least 60' }).optional(),
  /**
   * Passing probes count towards `minRequests`, so a quiet function can be promoted on probes
   * (the verdict says so). Default false: probes can only fail a rollout, never stand in for traffic.
   */
  countAsEvidence: z.boolean({ error: 'must be true or false' }).default(false),
  /** What a good answer looks like, besides no FunctionError. */
  expect: z
    .strictObject({
      /** A dotted path into the JSON response, e.g. "statusCode" or "body.ok". */
      field: z.string({ error: 'must be a dotted path' }).regex(/^[\w-]+(\.[\w-]+)*$/, { error: 'must be a dotted path like "statusCode" or "body.ok"' }).optional(),
      equals: z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'must be a string, number, boolean or null' }).optional(),
    })
    .refine((e) => (e.field === undefined) === (e.equals === undefined), { error: 'field and equals go together' })
    .prefault({}),
  /** Judged, recorded and reported, never a cause of rollback (nor of an early advance). Default false. */
  dryRun: z.boolean({ error: 'must be true or false' }).optional(),
});

export type ProbePolicy = z.output<typeof ProbeSchema>;

/** The longest CloudWatch ingestion delay a policy (or a rehearsal's world) may assume: 15 minutes. */
export const MAX_METRIC_DELAY_SECONDS = 900;

export const HealthPolicySchema = z
  .strictObject({
    /** Target invocations (plus passing probes) needed before a check may call the target healthy. */
    minRequests: int('must be a whole number of at least 1').min(1, { error: 'must be a whole number of at least 1' }).default(100),
    /**
     * How long CloudWatch takes to complete a minute of AWS/Lambda metrics. Minutes newer than
     * this are not judged, so a check never reads a half-ingested minute. Default 120 s.
     */
    metricDelaySeconds: int(`must be whole seconds from 0 to ${MAX_METRIC_DELAY_SECONDS}`)
      .min(0, { error: `must be whole seconds from 0 to ${MAX_METRIC_DELAY_SECONDS}` })
      .max(MAX_METRIC_DELAY_SECONDS, { error: `must be whole seconds from 0 to ${MAX_METRIC_DELAY_SECONDS}` })
      .default(120),
    /** How often to check during a bake (its first hour, for a long one). Default 60 s. */
    checkEverySeconds: int('must be whole seconds, at least 60').min(60, { error: 'must be whole seconds, at least 60' }).default(60),
    /**
     * How often to check a weight once it has baked for an hour (`LONG_BAKE_AFTER_SECONDS`), never
     * more often than `checkEverySeconds`. Each check folds every complete minute since the last
     * one into the running tally, so a slower pace loses no evidence, and absent data is still
     * never healthy; what it costs is time: a version that goes bad late in a long bake is rolled
     * back up to this much later (plus the metric delay). What it saves: a 30-day bake is about
     * 2,900 checks instead of 43,200 (GetMetricData calls, Lambda invocations and state
     * transitions). Default 900 s (15 minutes); set it to `checkEverySeconds` to keep one pace
     * throughout.
     */
    longBakeCheckEverySeconds: int('must be whole seconds from 60 to 3600').min(60, { error: 'must be whole seconds from 60 to 3600' }).max(3600, { error: 'must be whole seconds from 60 to 3600' }).default(900),
    /**
     * `evidence` (default): a step advances, and a rollout promotes, only once a complete metric
     * minute served entirely at the current weight has been judged healthy; the bake is the
     * minimum, and the wait for CloudWatch is added. `schedule`: CodeDeploy's timing, the bake
     * alone; checks then say which minutes and weights they judged.
     */
    advance: z.enum(['evidence', 'schedule'], { error: 'must be "evidence" or "schedule"' }).default('evidence'),
    errors: z
      .strictObject({
        /**
         * `sequential` (default): valid however often it looks. `fixed-sample`: a two-proportion
         * z-test at each check, whose false rollbacks grow with the number of checks (for
         * comparison only). `none`: errors are not judged (rely on alarms).
         */
        test: z.enum(['sequential', 'fixed-sample', 'none'], { error: 'must be "sequential", "fixed-sample" or "none"' }).default('sequential'),
        /** The most often a target as good as the baseline may be rolled back. Default 0.01. */
        falseRollbackRate: z.number({ error: 'must be a fraction above 0 and at most 0.2' }).gt(0, { error: 'must be a fraction above 0 and at most 0.2' }).max(0.2, { error: 'must be a fraction above 0 and at most 0.2' }).default(0.01),
        /** An increase in error rate smaller than this never rolls back (0.001 = 0.1 points). */
        tolerance: fraction('must be a fraction from 0 to 1 (0.001 = 0.1 points)').default(0.001),
        /** An absolute ceiling on the target's error rate, whatever the baseline does. Default: none. */
        maxRate: fraction('must be a fraction from 0 to 1').optional(),
        /** Judged, recorded and reported, never a cause of rollback (nor of an early advance). Default false. */
        dryRun: z.boolean({ error: 'must be true or false' }).optional(),
      })
      .prefault({}),
    latency: z
      .strictObject({
        p99: PercentileLimit.prefault({}),
        p90: PercentileLimit.prefault({}),
        /** Baseline samples needed to fix the slow thresholds, and target samples before latency is called healthy. Default 500. */
        minSamples: int('must be a whole number, 0 or more').min(0, { error: 'must be a whole number, 0 or more' }).default(500),
        /** The most often a target as fast as the baseline may be rolled back for latency (p99 and p90 together). Default 0.01. */
        falseRollbackRate: z.number({ error: 'must be a fraction above 0 and at most 0.2' }).gt(0, { error: 'must be a fraction above 0 and at most 0.2' }).max(0.2, { error: 'must be a fraction above 0 and at most 0.2' }).default(0.01),
        enabled: z.boolean({ error: 'must be true or false' }).default(true),
        /** Judged, recorded and reported, never a cause of rollback (nor of an early advance). Default false. */
        dryRun: z.boolean({ error: 'must be true or false' }).optional(),
      })
      .prefault({}),
    throttles: z
      .strictObject({
        /** Unhealthy when the target's throttle rate exceeds the baseline's by more than this. Default 0.01. */
        maxIncrease: fraction('must be a fraction from 0 to 1').default(0.01),
        /** The most often a target throttled no more than the baseline may be rolled back for throttles. Default 0.01. */
        falseRollbackRate: z.number({ error: 'must be a fraction above 0 and at most 0.2' }).gt(0, { error: 'must be a fraction above 0 and at most 0.2' }).max(0.2, { error: 'must be a fraction above 0 and at most 0.2' }).default(0.01),
        /** Judged, recorded and reported, never a cause of rollback (nor of an early advance). Default false. */
        dryRun: z.boolean({ error: 'must be true or false' }).optional(),
      })
      .prefault({}),
    alarms: z
      .strictObject({
        /** CloudWatch alarms watched during the rollout: any in ALARM is unhealthy. They must exist. */
        names: z.array(z.string({ error: 'must be alarm names' }).min(1, { error: 'must not be empty' }).max(255, { error: 'must be at most 255 characters' }), { error: 'must be a list of alarm names' }).max(100, { error: 'at most 100 alarms' }).default([]),
        /** INSUFFICIENT_DATA: hold for more evidence (default), roll back, or count as OK (CodeDeploy's way). */
        insufficientData: z.enum(['hold', 'rollback', 'ok'], { error: 'must be "hold", "rollback" or "ok"' }).default('hold'),
        /** Judged, recorded and reported, never a cause of rollback (nor of an early advance). Default false. */
        dryRun: z.boolean({ error: 'must be true or false' }).optional(),
      })
      .prefault({}),
    /** Custom metric checks: any GetMetricData query, against a threshold or the baseline. */
    metrics: z.array(CustomMetricSchema, { error: 'must be a list of metric checks' }).max(20, { error: 'at most 20 metric checks' }).default([]),
    /** Synthetic probes: invoke the target version directly, for quiet functions. */
    probes: ProbeSchema.optional(),
    /** What to do while evidence is short. */
    insufficientData: z
      .strictObject({
        /** Each hold extends the bake by this much. Default 60 s. */
        holdSeconds: int('must be a whole number of seconds, at least 60').min(60, { error: 'must be a whole number of seconds, at least 60' }).default(60),
        /** The most a step may be held in total. Default 600 s; 0 never holds. */
        maxHoldSeconds: int('must be a whole number of seconds, 0 or more').min(0, { error: 'must be a whole number of seconds, 0 or more' }).default(600),
        /** When holding is over: `rollback` (default), or `proceed` as if healthy, only for operators who accept promoting untested code. */
        then: z.enum(['rollback', 'proceed'], { error: 'must be "rollback" or "proceed"' }).default('rollback'),
      })
      .prefault({}),
  })
  .prefault({});

export type HealthPolicy = z.output<typeof HealthPolicySchema>;

/** Invocations and errors one version served through the alias. */
export interface Counts {
  readonly invocations: number;
  readonly errors: number;
  readonly throttles?: number | undefined;
}

export type VerdictKind = 'healthy' | 'unhealthy' | 'inconclusive';

export interface Signal {
  readonly name: string;
  readonly verdict: VerdictKind | 'skipped';
  /** One line, with the numbers. */
  readonly reason: string;
  /** Judged and reported, but never acted on (the policy's `dryRun`). */
  readonly dryRun?: boolean | undefined;
}

/**
 * A signal the policy runs dry: the same verdict and numbers, marked, so that the verdict leaves it out.
 *
 * @example asDryRun({ name: 'errors', verdict: 'unhealthy', reason: 'errors 5x' }, true) // { name: 'errors', verdict: 'unhealthy', reason: 'errors 5x (dry run: not acted on)', dryRun: true }
 */
export function asDryRun<S extends Signal>(signal: S, dryRun: boolean | undefined): S {
  return dryRun ? { ...signal, dryRun: true, reason: `${signal.reason} (dry run: not acted on)` } : signal;
}

export interface Verdict {
  readonly verdict: VerdictKind;
  /** One line: the deciding signal's reason. */
  readonly reason: string;
  readonly target: Counts;
  readonly baseline: Counts;
  readonly signals: readonly Signal[];
  /** The evidence says the target is no worse than the baseline (the adaptive strategy may advance). */
  readonly noWorse: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const rate = (e: number, n: number) => (n > 0 ? e / n : 0);
const showRate = (c: { errors: number; invocations: number }) => `${pct(rate(c.errors, c.invocations))} (${c.errors}/${c.invocations})`;

/** A target whose error rate is above this with 99% confidence is failing, whatever else is known. */
export const CRASH = { z: normalUpperQuantile(0.01), rate: 0.5 } as const;

/** How sure "no worse" must be (one-sided), and the margin it allows, for early advances. */
export const NO_WORSE = { z: normalUpperQuantile(0.1), margin: 0.005 } as const;

/**
 * Errors, judged over every complete minute since the target first got traffic (the tally).
 *
 * @example judgeErrors(policy, tallyOf(minutes)).verdict // 'unhealthy' for a crash, once its first minute is in
 */
export function judgeErrors(policy: HealthPolicy, tally: Tally): Signal & { noWorse: boolean } {
  const t = tally.target;
  const b = tally.baseline;
  const vs = `target ${showRate(t)} vs baseline ${showRate(b)}`;
  const p = policy.errors;
  const increase = rate(t.errors, t.invocations) - rate(b.errors, b.invocations);
  const noWorse = t.invocations >= policy.minRequests && wilsonUpper(t.errors, t.invocations, NO_WORSE.z) <= rate(b.errors, b.invocations) + Math.max(p.tolerance, NO_WORSE.margin);
  const signal = (verdict: Signal['verdict'], why: string) => ({ name: 'errors', verdict, reason: `${why}: ${vs}`, noWorse: verdict === 'healthy' && noWorse });

  if (p.test === 'none') return { ...signal('skipped', 'errors not judged (errors.test is "none")'), noWorse: t.invocations >= policy.minRequests };
  if (wilsonLower(t.errors, t.invocations, CRASH.z) > CRASH.rate) {
    return signal('unhealthy', `most requests fail (over ${pct(CRASH.rate)} with 99% confidence)`);
  }
  if (p.maxRate !== undefined && t.invocations >= policy.minRequests && rate(t.errors, t.invocations) > p.maxRate) {
    return signal('unhealthy', `error rate above the ceiling of ${pct(p.maxRate)}`);
  }
  if (p.test === 'sequential') {
    const { likelihoodRatio, bestRatio } = originEvidence(tally.errors);
    const threshold = 1 / p.falseRollbackRate;
    if (likelihoodRatio >= threshold && increase > p.tolerance) {
      return signal('unhealthy', `errors ${bestRatio}x the baseline's rate (likelihood ratio ${fmt(likelihoodRatio)} >= ${fmt(threshold)}; false-rollback bound ${pct(p.falseRollbackRate)})`);
    }
  } else {
    const z = twoProportionZ({ n: t.invocations, x: t.errors }, { n: b.invocations, x: b.errors });
    const critical = normalUpperQuantile(p.falseRollbackRate);
    if (z >= critical && increase > p.tolerance && t.invocations >= policy.minRequests) {
      return signal('unhealthy', `error rate higher than the baseline's (z ${z.toFixed(2)} >= ${critical.toFixed(2)})`);
    }
  }
  if (t.invocations < policy.minRequests) return signal('inconclusive', `not enough traffic: ${t.invocations} of ${policy.minRequests} requests`);
  if (b.invocations < policy.minRequests) return signal('inconclusive', `the baseline had too little traffic to compare with: ${b.invocations} of ${policy.minRequests} requests`);
  return signal('healthy', 'error rate no worse than the baseline\'s');
}

function fmt(x: number): string {
  return x >= 1e6 ? x.toExponential(1) : x >= 10 ? x.toFixed(0) : x.toFixed(2);
}

/** The share of a percentile's requests allowed above it: 1% for p99, 10% for p90. */
const ALLOWED_SLOW = { p99: 0.01, p90: 0.1 } as const;

const share = (x: Trials) => `${pct(rate(x.events, x.trials))} (${x.events}/${x.trials})`;

/**
 * Latency, as two sequential tests on slow requests: a request is slow above a threshold fixed
 * from the baseline's p99 (p90) before the tests read any minute. Under "as fast as the
 * baseline", a slow request is as likely to come from either version, so the same origin test
 * as for errors applies, and its false-rollback bound holds however often it looks; each test
 * gets half of `latency.falseRollbackRate`. A test rolls back only when, besides, more of the
 * target's requests than the percentile allows are slow: its observed p99 (p90) is over the limit.
 *
 * @example judgeLatency(policy, tally)[0]?.name // 'latency p99'
 */
export function judgeLatency(policy: HealthPolicy, tally: Tally): Signal[] {
  const l = policy.latency;
  if (!l.enabled) return [];
  return (['p99', 'p90'] as const).map((which): Signal => {
    const name = `latency ${which}`;
    const test: SlowTest | undefined = tally.latency?.[which];
    if (!test || !tally.latency) {
      return { name, verdict: 'skipped', reason: `${which} not judged yet: its threshold comes from ${l.minSamples} baseline samples (${tally.baseline.invocations} so far)` };
    }
    // Healthy reasons stay short: one is kept per step in the execution's state.
    const vs = `target ${share(test.target)} vs baseline ${share(test.baseline)} slower than ${test.thresholdMs} ms`;
    const { likelihoodRatio, bestRatio } = originEvidence(test.logs);
    const threshold = 2 / l.falseRollbackRate;
    if (likelihoodRatio >= threshold && rate(test.target.events, test.target.trials) > ALLOWED_SLOW[which]) {
      const limit = `baseline ${which} ${Math.round(tally.latency.reference[which])} ms x${l[which].maxRatio}, +${l[which].maxIncreaseMs} ms`;
      return { name, verdict: 'unhealthy', reason: `${which} latency over the limit, slow requests ${bestRatio}x the baseline's share (likelihood ratio ${fmt(likelihoodRatio)} >= ${fmt(threshold)}): ${vs} (${limit})` };
    }
    if (test.target.trials < l.minSamples) return { name, verdict: 'skipped', reason: `${which} not judged yet: ${test.target.trials} of ${l.minSamples} target samples: ${vs}` };
    return { name, verdict: 'healthy', reason: `${which} latency within limits: ${vs}` };
  });
}

/**
 * Throttles, by the same origin test on throttles out of requests (invocations plus throttles):
 * unhealthy when the target is throttled more often than the baseline (likelihood ratio over
 * 1/`throttles.falseRollbackRate`) by more than `maxIncrease`.
 *
 * @example judgeThrottles(policy, tally).name // 'throttles'
 */
export function judgeThrottles(policy: HealthPolicy, tally: Tally): Signal {
  const t = tally.target;
  const b = tally.baseline;
  const tr = rate(t.throttles, t.invocations + t.throttles);
  const br = rate(b.throttles, b.invocations + b.throttles);
  const vs = `target ${pct(tr)} (${t.throttles}) vs baseline ${pct(br)} (${b.throttles})`;
  const { likelihoodRatio } = originEvidence(tally.throttles);
  const threshold = 1 / policy.throttles.falseRollbackRate;
  if (likelihoodRatio >= threshold && tr - br > policy.throttles.maxIncrease) {
    return { name: 'throttles', verdict: 'unhealthy', reason: `throttled more than the baseline by over ${pct(policy.throttles.maxIncrease)} (likelihood ratio ${fmt(likelihoodRatio)} >= ${fmt(threshold)}): ${vs}` };
  }
  if (t.invocations + t.throttles < policy.minRequests) return { name: 'throttles', verdict: 'skipped', reason: `throttles not judged yet: ${vs}` };
  return { name: 'throttles', verdict: 'healthy', reason: `throttles within limits: ${vs}` };
}

export interface AlarmEvidence {
  readonly name: string;
  /** OK, ALARM or INSUFFICIENT_DATA. */
  readonly state: string;
  readonly reason?: string | undefined;
}

/** CloudWatch alarms, the CodeDeploy way plus an explicit rule for INSUFFICIENT_DATA. */
export function judgeAlarms(policy: HealthPolicy, alarms: readonly AlarmEvidence[]): Signal[] {
  const found = new Map(alarms.map((a) => [a.name, a]));
  return policy.alarms.names.map((name): Signal => {
    const a = found.get(name);
    const signal = `alarm ${name}`;
    if (!a) return { name: signal, verdict: 'unhealthy', reason: `alarm ${name} does not exist (deleted during the rollout?)` };
    if (a.state === 'ALARM') return { name: signal, verdict: 'unhealthy', reason: `alarm ${name} is in ALARM${a.reason ? `: ${a.reason}` : ''}` };
    if (a.state === 'INSUFFICIENT_DATA') {
      const v = policy.alarms.insufficientData;
      if (v === 'ok') return { name: signal, verdict: 'healthy', reason: `alarm ${name} has insufficient data, counted as OK as the policy says` };
      return { name: signal, verdict: v === 'rollback' ? 'unhealthy' : 'inconclusive', reason: `alarm ${name} has insufficient data` };
    }
    return { name: signal, verdict: 'healthy', reason: `alarm ${name} is OK` };
  });
}

/** A custom metric's value for the target and, when compared with it, the baseline. */
export interface CustomMetricEvidence {
  readonly target?: number | undefined;
  readonly baseline?: number | undefined;
}

export function judgeCustomMetric(metric: CustomMetric, evidence: CustomMetricEvidence): Signal {
  const name = `metric ${metric.name}`;
  const worse = (a: number, b: number) => (metric.worseWhen === 'above' ? a > b : a < b);
  const t = evidence.target;
  if (t === undefined || (metric.compare === 'baseline' && evidence.baseline === undefined)) {
    return { name, verdict: metric.missingData, reason: `${metric.name}: no data` };
  }
  if (metric.compare === 'threshold') {
    const limit = metric.threshold as number;
    return worse(t, limit)
      ? { name, verdict: 'unhealthy', reason: `${metric.name} ${t} is ${metric.worseWhen} the threshold ${limit}` }
      : { name, verdict: 'healthy', reason: `${metric.name} ${t} within the threshold ${limit}` };
  }
  const b = evidence.baseline as number;
  const limit = metric.worseWhen === 'above' ? b * (1 + metric.tolerance) : b * (1 - metric.tolerance);
  return worse(t, limit)
    ? { name, verdict: 'unhealthy', reason: `${metric.name} target ${t} vs baseline ${b}: worse by more than ${metric.tolerance * 100}%` }
    : { name, verdict: 'healthy', reason: `${metric.name} target ${t} vs baseline ${b}: within ${metric.tolerance * 100}%` };
}

export interface ProbeEvidence {
  readonly sent: number;
  readonly passed: number;
  /** The first failure, in words. */
  readonly failure?: string | undefined;
}

export function judgeProbes(probes: ProbeEvidence): Signal {
  if (probes.sent === 0) return { name: 'probes', verdict: 'skipped', reason: 'no probes sent' };
  if (probes.passed < probes.sent) return { name: 'probes', verdict: 'unhealthy', reason: `probes: ${probes.sent - probes.passed} of ${probes.sent} failed: ${probes.failure ?? 'unexpected response'}` };
  return { name: 'probes', verdict: 'healthy', reason: `probes: ${probes.passed} of ${probes.sent} passed` };
}

/**
 * The verdict from the signals: unhealthy if any is, else inconclusive if any is, else healthy.
 * When the policy's probes count as evidence, passing probes count towards the error signal's
 * minimum evidence, and the verdict says it was judged on probes.
 */
export function combine(policy: HealthPolicy, tally: Tally, signals: readonly Signal[], errorsNoWorse: boolean): Verdict {
  const t = tally.target;
  const b = tally.baseline;
  const probesPassed = policy.probes?.countAsEvidence ? tally.probes.passed : 0;
  let list = [...signals];
  const errors = list.find((s) => s.name === 'errors');
  if (errors?.verdict === 'inconclusive' && probesPassed > 0 && t.invocations + probesPassed >= policy.minRequests) {
    list = list.map((s) => (s === errors ? { ...s, verdict: 'healthy', reason: `judged on probes: ${probesPassed} passing probes and ${t.invocations} requests make the minimum evidence (${s.reason})` } : s));
  }
  // Dry-run signals are reported with the others, never the verdict's.
  const first = (v: VerdictKind) => list.find((s) => s.verdict === v && !s.dryRun);
  const deciding = first('unhealthy') ?? first('inconclusive');
  const verdict: VerdictKind = deciding ? (deciding.verdict as VerdictKind) : 'healthy';
  return {
    verdict,
    reason: deciding?.reason ?? list.find((s) => s.name === 'errors')?.reason ?? list[0]?.reason ?? 'healthy',
    target: { invocations: t.invocations, errors: t.errors, throttles: t.throttles },
    baseline: { invocations: b.invocations, errors: b.errors, throttles: b.throttles },
    signals: list,
    noWorse: verdict === 'healthy' && errorsNoWorse && !errors?.dryRun,
  };
}

/**
 * The share of invocations the target served, in percent, or undefined without traffic. Lambda
 * routes each request at random, so at low traffic it strays from the weight.
 *
 * @example observedSplit({ target: { invocations: 30 }, baseline: { invocations: 270 } }) // 10
 */
export function observedSplit(counts: { readonly target: { readonly invocations: number }; readonly baseline: { readonly invocations: number } } | undefined): number | undefined {
  if (!counts) return undefined;
  const t = counts.target.invocations;
  const all = t + counts.baseline.invocations;
  return all > 0 ? Math.round((t / all) * 10_000) / 100 : undefined;
}
