/**
 * The rollout input: what a caller passes to start a rollout, in our format or in the format of
 * awslabs/aws-lambda-deploy. Parsing either refuses the input with every broken rule, each naming
 * its field, or returns the input with its plan.
 */
import * as z from 'zod';
import { InvalidInputError } from './errors.js';
import { toFieldIssues } from './field-issues.js';
import { FUNCTION_ARN_PATTERN, FUNCTION_NAME_PATTERN } from './function-ref.js';
import { MAX_PROVISIONED_CONCURRENCY } from './concurrency.js';
import { GatesSchema, gateProblems } from './control.js';
import { HealthPolicySchema } from './health.js';
import { HooksSchema } from './hooks.js';
import { sizeIssues } from './limits.js';
import { NotificationOptionsSchema } from './notification-options.js';
import {
  MAX_EXECUTION_SECONDS,
  MIN_BAKE_SECONDS,
  PRESETS,
  type Plan,
  type PresetName,
  type Strategy,
  planProblems,
  presetName,
  toPlan,
} from './strategy.js';

// Callers of the input's rules read the issue flattening from here too.
export { toFieldIssues } from './field-issues.js';

const PRESET_LIST = Object.keys(PRESETS).join(', ');
const percent = (what: string) =>
  z
    .number({ error: `${what} must be a number more than 0 and less than 100` })
    .gt(0, { error: `${what} must be more than 0 and less than 100` })
    .lt(100, { error: `${what} must be more than 0 and less than 100` });
const seconds = () =>
  z
    .number({ error: `must be a whole number of seconds, at least ${MIN_BAKE_SECONDS}` })
    .int({ error: `must be a whole number of seconds, at least ${MIN_BAKE_SECONDS}` })
    .min(MIN_BAKE_SECONDS, { error: `must be a whole number of seconds, at least ${MIN_BAKE_SECONDS}` })
    .max(MAX_EXECUTION_SECONDS, { error: `must be at most ${MAX_EXECUTION_SECONDS} (one year)` });

const StepSchema = z.strictObject({ weightPercent: percent('the weight'), bakeSeconds: seconds() });

const StrategyObjectSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('canary'), percent: percent('the canary weight'), bakeSeconds: seconds() }),
    z.strictObject({ type: z.literal('linear'), percent: percent('each increment'), intervalSeconds: seconds() }),
    z.strictObject({
      type: z.literal('exponential'),
      startPercent: percent('the first weight'),
      factor: z
        .number({ error: 'must be a number more than 1' })
        .gt(1, { error: 'must be more than 1, so that weights grow' })
        .max(100, { error: 'must be at most 100' }),
      intervalSeconds: seconds(),
    }),
    z.strictObject({
      type: z.literal('steps'),
      steps: z
        .array(StepSchema, { error: 'must be a list of { weightPercent, bakeSeconds }' })
        .min(1, { error: 'at least one step is required (use AllAtOnce to shift everything at once)' }),
    }),
    z
      .strictObject({
        type: z.literal('adaptive'),
        weights: z
          .array(percent('each weight'), { error: 'must be a list of weights in percent' })
          .min(1, { error: 'at least one weight is required' })
          .default([10, 50]),
        minBakeSeconds: seconds().default(60),
        maxBakeSeconds: seconds().default(600),
      })
      .refine((a) => a.maxBakeSeconds >= a.minBakeSeconds, { error: 'must be at least minBakeSeconds', path: ['maxBakeSeconds'] }),
    z.strictObject({ type: z.literal('allAtOnce') }),
  ],
  { error: 'must be one of canary, linear, exponential, steps, adaptive, allAtOnce' },
);

const StrategySchema = z.union([
  z.string().transform((name, ctx): PresetName => {
    const preset = presetName(name);
    if (!preset) {
      ctx.addIssue({ code: 'custom', message: `"${name}" is not a preset; use one of ${PRESET_LIST} (optionally prefixed "CodeDeployDefault.Lambda"), or a strategy object` });
      return z.NEVER;
    }
    return preset;
  }),
  StrategyObjectSchema,
]);

/** Lambda's limit for a version description. */
export const MAX_DESCRIPTION_LENGTH = 256;

/** A build artifact: one exact S3 object version (the bucket must be versioned). */
export const ReleaseSchema = z.strictObject({
  s3Bucket: z.string({ error: 'must be a bucket name' }).min(3, { error: 'must be a bucket name' }),
  s3Key: z.string({ error: 'must be an object key' }).min(1, { error: 'must be an object key' }),
  s3ObjectVersion: z
    .string({ error: 'must be an object version id' })
    .min(1, { error: 'must be an object version id' })
    .refine((v) => v !== 'null', { error: 'must be a real object version id (the bucket must be versioned)' }),
  build: z.string({ error: 'must be a string' }).optional(),
  description: z
    .string({ error: 'must be a string' })
    .max(MAX_DESCRIPTION_LENGTH, { error: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` })
    .optional(),
});

export const FunctionNameSchema = z
  .string({ error: 'must be a function name or function ARN' })
  .refine((s) => FUNCTION_NAME_PATTERN.test(s) || FUNCTION_ARN_PATTERN.test(s), {
    error: 'must be a function name (1-64 letters, digits, "-" or "_") or an unqualified function ARN; pass the alias in "alias"',
  });

export const AliasSchema = z
  .string({ error: 'must be an alias name' })
  .regex(/^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/, { error: 'must be 1-128 letters, digits, "-" or "_", not all digits' });

const VersionSchema = z
  .union([z.string({ error: 'must be a published version number, e.g. "7"' }), z.number({ error: 'must be a published version number, e.g. "7"' })], {
    error: 'must be a published version number, e.g. "7"',
  })
  // A number past 2^53 is not the number the caller wrote (12345678901234567890 parses as ...7000).
  .refine((v) => typeof v === 'string' || (Number.isSafeInteger(v) && String(Number(v)) === String(v)), {
    error: `must be a published version number, e.g. "7"; as a JSON number, a whole number up to ${Number.MAX_SAFE_INTEGER} (larger ones lose digits: send a string)`,
  })
  .transform((v) => String(v))
  .refine((v) => v !== '$LATEST', { error: 'must be a published version; $LATEST cannot be routed by weight, publish a version first' })
  .refine((v) => v === '$LATEST' || /^[1-9]\d*$/.test(v), { error: 'must be a published version number, e.g. "7"' });

export const RolloutInputSchema = z.strictObject(
  {
  /** The function to roll out: a name or an unqualified ARN. */
  functionName: FunctionNameSchema,
  /** The alias whose traffic moves. */
  alias: AliasSchema,
  /** The published version to move the alias to. */
  targetVersion: VersionSchema,
  /** A CodeDeploy preset name or a strategy object. Default: Canary10Percent5Minutes. */
  strategy: StrategySchema.default('Canary10Percent5Minutes'),
  /** The health policy. */
  health: HealthPolicySchema,
  /** Which notifications to send and extra attributes for them. */
  notifications: NotificationOptionsSchema,
  /**
   * The build artifact this rollout publishes first (set by the artifact trigger): the workflow
   * updates the function's code from this exact object version, publishes it, and rolls it out.
   */
  release: ReleaseSchema.optional(),
  /**
   * Lifecycle hooks: Lambda functions on the operator's allowed hooks, called before any traffic
   * (preTraffic), before each weight increase (beforeStep), after promotion (postTraffic) and after
   * a rollback (onRollback). Each answers, or calls back with the task token, within its timeout.
   */
  hooks: HooksSchema.optional(),
  /** Approval gates: before a step (from 2) or before promotion, the rollout holds at its weight until a person approves. */
  gates: GatesSchema.optional(),
  /** After promotion, keep watching this long before the rollout ends; unhealthy rolls back to the baseline. Default 0. */
  finalBakeSeconds: z
    .number({ error: `must be 0, or whole seconds from ${MIN_BAKE_SECONDS} to 86400` })
    .int({ error: `must be 0, or whole seconds from ${MIN_BAKE_SECONDS} to 86400` })
    .refine((n) => n === 0 || (n >= MIN_BAKE_SECONDS && n <= 86_400), { error: `must be 0, or whole seconds from ${MIN_BAKE_SECONDS} to 86400` })
    .optional(),
  /**
   * Provisioned concurrency for the target version before the first shift. Default: what the alias
   * has (none when it has none); 0: never.
   */
  provisionedConcurrency: z
    .number({ error: `must be a whole number from 0 to ${MAX_PROVISIONED_CONCURRENCY}` })
    .int({ error: `must be a whole number from 0 to ${MAX_PROVISIONED_CONCURRENCY}` })
    .min(0, { error: `must be a whole number from 0 to ${MAX_PROVISIONED_CONCURRENCY}` })
    .max(MAX_PROVISIONED_CONCURRENCY, { error: `must be a whole number from 0 to ${MAX_PROVISIONED_CONCURRENCY}` })
    .optional(),
  /** An id for this rollout; the execution name when absent. */
  rolloutId: z
    .string({ error: 'must be a string' })
    .regex(/^[a-zA-Z0-9_-]{1,80}$/, { error: 'must be 1-80 letters, digits, "-" or "_"' })
    .optional(),
  },
  { error: 'must be a JSON object' },
);

export type RolloutInput = z.output<typeof RolloutInputSchema>;

/** The input format of awslabs/aws-lambda-deploy, accepted as it is. */
export const LegacyInputSchema = z.strictObject({
  'function-name': FunctionNameSchema,
  'alias-name': AliasSchema,
  'new-version': VersionSchema,
  steps: z
    .number({ error: 'must be a whole number of steps from 1 to 100' })
    .int({ error: 'must be a whole number of steps from 1 to 100' })
    .min(1, { error: 'must be a whole number of steps from 1 to 100' })
    .max(100, { error: 'must be a whole number of steps from 1 to 100' }),
  interval: seconds(),
  type: z.literal('linear', { error: 'must be "linear", the only type aws-lambda-deploy defines' }),
  /** Accepted for compatibility; lambda-rollout always checks health. */
  'health-check': z.boolean({ error: 'must be true or false' }).optional(),
}, { error: 'must be a JSON object' });

/**
 * Maps an aws-lambda-deploy input onto ours: `steps` N moves the alias to 1/N, 2/N, ... of the
 * traffic, one step each `interval` seconds, then promotes (so N steps make N-1 partial weights).
 */
export function fromLegacy(legacy: z.output<typeof LegacyInputSchema>): z.input<typeof RolloutInputSchema> {
  const n = legacy.steps;
  const strategy: Strategy =
    n === 1
      ? { type: 'allAtOnce' }
      : {
          type: 'steps',
          steps: Array.from({ length: n - 1 }, (_, i) => ({
            weightPercent: Math.round(((i + 1) * 10000) / n) / 100,
            bakeSeconds: legacy.interval,
          })),
        };
  return {
    functionName: legacy['function-name'],
    alias: legacy['alias-name'],
    targetVersion: legacy['new-version'],
    strategy,
  };
}

/**
 * The function and alias a value names, in either input format (or a rollout state's `rollout`),
 * as far as it names them: for telling people about an input that may not parse.
 *
 * @example rolloutNamed({ 'function-name': 'orders', 'alias-name': 'live' }) // { functionName: 'orders', alias: 'live' }
 */
export function rolloutNamed(value: unknown): { readonly functionName?: string; readonly alias?: string; readonly targetVersion?: string } {
  const raw = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const text = (...keys: string[]) => keys.map((k) => raw[k]).find((v): v is string => typeof v === 'string');
  const target = raw.targetVersion ?? raw['new-version'];
  const functionName = text('functionName', 'function-name');
  const alias = text('alias', 'alias-name');
  return {
    ...(functionName !== undefined ? { functionName } : {}),
    ...(alias !== undefined ? { alias } : {}),
    ...(typeof target === 'string' || typeof target === 'number' ? { targetVersion: String(target) } : {}),
  };
}

/** A parsed rollout input with its plan. */
export interface ParsedInput {
  readonly input: RolloutInput;
  readonly plan: Plan;
  /** Whether the caller used the aws-lambda-deploy format. */
  readonly legacy: boolean;
}

/**
 * Parses and checks a rollout input in either format. Throws InvalidInputError listing every
 * broken rule; nothing else is looked at, so nothing has changed. An input nested deeper than
 * `MAX_JSON_DEPTH` or larger than `MAX_INPUT_BYTES` as JSON is refused before its fields are read.
 *
 * @example
 * parseRolloutInput({ functionName: 'orders', alias: 'live', targetVersion: 8, strategy: 'Linear10PercentEvery1Minute' })
 *   .plan.steps.length // 9
 */
export function parseRolloutInput(raw: unknown): ParsedInput {
  // Too deep or too large is refused before anything walks the input.
  const oversized = sizeIssues('(input)', raw);
  if (oversized.length > 0) throw new InvalidInputError(oversized);
  const legacy = typeof raw === 'object' && raw !== null && 'function-name' in raw;
  let candidate = raw;
  if (legacy) {
    const old = LegacyInputSchema.safeParse(raw, { reportInput: true });
    if (!old.success) throw new InvalidInputError(toFieldIssues(old.error.issues));
    candidate = fromLegacy(old.data);
  }
  const parsed = RolloutInputSchema.safeParse(candidate, { reportInput: true });
  if (!parsed.success) throw new InvalidInputError(toFieldIssues(parsed.error.issues));
  const input = parsed.data;
  const plan = toPlan(input.strategy as Strategy | PresetName);
  const reserve = plan.steps.length * input.health.insufficientData.maxHoldSeconds;
  const problems = planProblems(plan, reserve);
  const issues = [
    ...problems.map((p) => {
      const [field, ...rule] = p.split(': ');
      return { field: legacy ? 'steps' : `strategy.${field}`, rule: rule.join(': ') };
    }),
    ...gateProblems(input.gates ?? [], plan),
  ];
  if (issues.length > 0) throw new InvalidInputError(issues);
  return { input, plan, legacy };
}
