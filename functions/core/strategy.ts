/**
 * Strategies and the plans they make. A plan is a list of steps, each a weight strictly between
 * 0% and 100% held for a bake, with strictly increasing weights; after the last step comes
 * promotion. An empty plan promotes at once (CodeDeploy's AllAtOnce).
 */

/** The longest a Standard workflow execution may run: one year. */
export const MAX_EXECUTION_SECONDS = 365 * 24 * 60 * 60;
/**
 * The state keeps one short record per step (about 550 bytes with its reason), and with the
 * largest input 100 of them keep every state under 60% of Step Functions' 256 KiB. (The history's
 * 25,000 events are no limit on steps: a long rollout continues in a new execution.)
 */
export const MAX_STEPS = 100;
/** AWS/Lambda metrics have one-minute resolution: a shorter bake cannot see a full minute. */
export const MIN_BAKE_SECONDS = 60;
/** Weights are kept to 1/100 of a percent (Lambda takes 0.0001 steps of its 0..1 weight). */
export const WEIGHT_DECIMALS = 2;

export interface PlanStep {
  /** Share of the alias's traffic routed to the target during this step, 0 < w < 100. */
  readonly weightPercent: number;
  /** How long this weight bakes before its health decides the next move. */
  readonly bakeSeconds: number;
}

export interface Plan {
  /** A readable name for the strategy the plan came from. */
  readonly strategy: string;
  readonly steps: readonly PlanStep[];
  /** Sum of the bakes: how long a healthy rollout takes at most, holds aside. */
  readonly totalBakeSeconds: number;
  /** For the adaptive strategy: the least time at a weight before an early advance. */
  readonly minBakeSeconds?: number;
}

export type CanaryStrategy = { type: 'canary'; percent: number; bakeSeconds: number };
export type LinearStrategy = { type: 'linear'; percent: number; intervalSeconds: number };
export type ExponentialStrategy = {
  type: 'exponential';
  startPercent: number;
  factor: number;
  intervalSeconds: number;
};
export type StepsStrategy = { type: 'steps'; steps: PlanStep[] };
/**
 * Advances as soon as the evidence says the target is no worse than the baseline, after at
 * least `minBakeSeconds` at a weight and at most `maxBakeSeconds`.
 */
export type AdaptiveStrategy = { type: 'adaptive'; weights: number[]; minBakeSeconds: number; maxBakeSeconds: number };
export type AllAtOnceStrategy = { type: 'allAtOnce' };
export type Strategy =
  | CanaryStrategy
  | LinearStrategy
  | ExponentialStrategy
  | StepsStrategy
  | AdaptiveStrategy
  | AllAtOnceStrategy;

/** The CodeDeploy Lambda presets, by their short name, as CodeDeploy documents them. */
export const PRESETS = {
  Canary10Percent5Minutes: { type: 'canary', percent: 10, bakeSeconds: 5 * 60 },
  Canary10Percent10Minutes: { type: 'canary', percent: 10, bakeSeconds: 10 * 60 },
  Canary10Percent15Minutes: { type: 'canary', percent: 10, bakeSeconds: 15 * 60 },
  Canary10Percent30Minutes: { type: 'canary', percent: 10, bakeSeconds: 30 * 60 },
  Linear10PercentEvery1Minute: { type: 'linear', percent: 10, intervalSeconds: 60 },
  Linear10PercentEvery2Minutes: { type: 'linear', percent: 10, intervalSeconds: 2 * 60 },
  Linear10PercentEvery3Minutes: { type: 'linear', percent: 10, intervalSeconds: 3 * 60 },
  Linear10PercentEvery10Minutes: { type: 'linear', percent: 10, intervalSeconds: 10 * 60 },
  AllAtOnce: { type: 'allAtOnce' },
} as const satisfies Record<string, Strategy>;

export type PresetName = keyof typeof PRESETS;

/** The prefix CodeDeploy puts before its Lambda preset names. */
export const CODEDEPLOY_PREFIX = 'CodeDeployDefault.Lambda';

/**
 * Resolves a preset name, with or without CodeDeploy's prefix, to its short name.
 *
 * @example presetName('CodeDeployDefault.LambdaCanary10Percent5Minutes') // 'Canary10Percent5Minutes'
 */
export function presetName(name: string): PresetName | undefined {
  const short = name.startsWith(CODEDEPLOY_PREFIX) ? name.slice(CODEDEPLOY_PREFIX.length) : name;
  return Object.hasOwn(PRESETS, short) ? (short as PresetName) : undefined;
}

/** Rounds a weight to the precision Lambda keeps. */
export function roundWeight(percent: number): number {
  const f = 10 ** WEIGHT_DECIMALS;
  return Math.round(percent * f) / f;
}

function describe(strategy: Strategy): string {
  switch (strategy.type) {
    case 'canary':
      return `canary ${strategy.percent}% for ${strategy.bakeSeconds}s`;
    case 'linear':
      return `linear ${strategy.percent}% every ${strategy.intervalSeconds}s`;
    case 'exponential':
      return `exponential from ${strategy.startPercent}% x${strategy.factor} every ${strategy.intervalSeconds}s`;
    case 'steps':
      return `steps ${strategy.steps.map((s) => `${s.weightPercent}%`).join(', ')}`;
    case 'adaptive':
      return `adaptive ${strategy.weights.map((w) => `${w}%`).join(', ')} (${strategy.minBakeSeconds}-${strategy.maxBakeSeconds}s each)`;
    case 'allAtOnce':
      return 'all at once';
  }
}

function rampSteps(first: number, next: (w: number) => number, bakeSeconds: number): PlanStep[] {
  const steps: PlanStep[] = [];
  for (let w = roundWeight(first); w < 100 && steps.length <= MAX_STEPS; w = roundWeight(next(w))) {
    steps.push({ weightPercent: w, bakeSeconds });
  }
  return steps;
}

/**
 * Turns a strategy into its plan. It does not judge the plan: {@link planProblems} does.
 *
 * @example
 * toPlan({ type: 'linear', percent: 30, intervalSeconds: 60 }).steps.map((s) => s.weightPercent)
 * // [30, 60, 90]
 */
export function toPlan(strategy: Strategy | PresetName, name?: string): Plan {
  const s: Strategy = typeof strategy === 'string' ? PRESETS[strategy] : strategy;
  let steps: PlanStep[];
  switch (s.type) {
    case 'canary':
      steps = [{ weightPercent: roundWeight(s.percent), bakeSeconds: s.bakeSeconds }];
      break;
    case 'linear':
      steps = rampSteps(s.percent, (w) => w + s.percent, s.intervalSeconds);
      break;
    case 'exponential':
      steps = rampSteps(s.startPercent, (w) => w * s.factor, s.intervalSeconds);
      break;
    case 'steps':
      steps = s.steps.map((x) => ({ weightPercent: roundWeight(x.weightPercent), bakeSeconds: x.bakeSeconds }));
      break;
    case 'adaptive':
      steps = s.weights.map((w) => ({ weightPercent: roundWeight(w), bakeSeconds: s.maxBakeSeconds }));
      break;
    case 'allAtOnce':
      steps = [];
      break;
  }
  return {
    strategy: name ?? (typeof strategy === 'string' ? strategy : describe(s)),
    steps,
    totalBakeSeconds: steps.reduce((t, x) => t + x.bakeSeconds, 0),
    ...(s.type === 'adaptive' ? { minBakeSeconds: s.minBakeSeconds } : {}),
  };
}

/**
 * The rules a plan breaks, each naming the step and the rule; empty when the plan is sound.
 * `reserveSeconds` is time the rollout may spend beyond the bakes (holds for more evidence).
 *
 * @example
 * planProblems(toPlan({ type: 'steps', steps: [{ weightPercent: 50, bakeSeconds: 60 }, { weightPercent: 20, bakeSeconds: 60 }] }))
 * // ['steps[1].weightPercent: weights must strictly increase (got 20 after 50)']
 */
export function planProblems(plan: Plan, reserveSeconds = 0): string[] {
  const problems: string[] = [];
  if (plan.steps.length > MAX_STEPS) {
    problems.push(
      `steps: at most ${MAX_STEPS} steps, so the rollout's state stays within Step Functions' 256 KiB (got ${plan.steps.length})`,
    );
  }
  plan.steps.forEach((step, i) => {
    if (!(step.weightPercent > 0 && step.weightPercent < 100)) {
      problems.push(`steps[${i}].weightPercent: must be more than 0 and less than 100 (got ${step.weightPercent})`);
    }
    if (!Number.isInteger(step.bakeSeconds) || step.bakeSeconds < MIN_BAKE_SECONDS) {
      problems.push(
        `steps[${i}].bakeSeconds: must be a whole number of at least ${MIN_BAKE_SECONDS} (got ${step.bakeSeconds})`,
      );
    }
    const prev = plan.steps[i - 1];
    if (prev && step.weightPercent <= prev.weightPercent) {
      problems.push(
        `steps[${i}].weightPercent: weights must strictly increase (got ${step.weightPercent} after ${prev.weightPercent})`,
      );
    }
  });
  const total = plan.totalBakeSeconds + reserveSeconds;
  if (total > MAX_EXECUTION_SECONDS) {
    problems.push(
      `steps: the bakes${reserveSeconds ? ' and holds' : ''} add up to ${total}s, longer than a Standard execution may run (${MAX_EXECUTION_SECONDS}s, one year)`,
    );
  }
  return problems;
}
