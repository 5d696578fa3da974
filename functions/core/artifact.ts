/**
 * Artifacts that start releases: what the artifact trigger decides about an object uploaded to S3.
 * Pure: the key convention, the allow-list match, the strategy and description read from the object's
 * tags or metadata, the rollout input with its release, and the idempotent execution name. What the
 * release then does with the code is in `release.ts`.
 *
 * The key convention, under a configurable prefix (default `releases/`):
 *
 *     <prefix><functionName>/<alias>/<build>.zip        e.g. releases/orders-api/live/2026-01-05.3.zip
 *
 * - functionName: 1-64 letters, digits, "-" or "_" (a Lambda function name, not an ARN)
 * - alias: 1-128 letters, digits, "-" or "_", not all digits (the alias whose traffic moves)
 * - build: 1-128 letters, digits, ".", "-" or "_", then `.zip` (a build label, shown in the version's description)
 *
 * None of these characters is ever URL-encoded, so the key reads the same whether an event carries it
 * encoded or not; a key with any other character breaks the convention and is refused.
 */
import type { FieldIssue } from './errors.js';
import { FUNCTION_NAME_PATTERN } from './function-ref.js';
import { MAX_DESCRIPTION_LENGTH, RolloutInputSchema, toFieldIssues } from './input.js';
import { sizeIssues } from './limits.js';
import { defaultDescription, type Release } from './release.js';

// ----- the key convention -----

/** The default key prefix under which artifacts start releases. */
export const DEFAULT_ARTIFACT_PREFIX = 'releases/';
/** The convention, for messages. */
export const KEY_CONVENTION = '<prefix><functionName>/<alias>/<build>.zip';

const ALIAS_PATTERN = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;
const BUILD_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const PREFIX_PATTERN = /^(?:[A-Za-z0-9._-]+\/)*$/;

/** What an artifact key names. */
export interface ArtifactKey {
  readonly functionName: string;
  readonly alias: string;
  readonly build: string;
}

/** A result that is either a value or a one-line reason for refusing. */
export type Checked<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly reason: string };

/**
 * Why a key prefix is not usable, or undefined when it is: empty, or folder names of letters, digits,
 * ".", "-" or "_", each ending with "/".
 *
 * @example prefixProblem('releases/') // undefined
 */
export function prefixProblem(prefix: string): string | undefined {
  if (PREFIX_PATTERN.test(prefix)) return undefined;
  return `the artifact key prefix must be empty or folder names of letters, digits, ".", "-" or "_", each ending with "/" (like 'releases/'); received '${prefix}'`;
}

/**
 * Reads the function, alias and build from an artifact key, or says which rule the key breaks.
 *
 * @example parseArtifactKey('releases/orders/live/42.zip', 'releases/') // { ok: true, functionName: 'orders', alias: 'live', build: '42' }
 */
export function parseArtifactKey(key: string, prefix: string = DEFAULT_ARTIFACT_PREFIX): Checked<ArtifactKey> {
  const refuse = (rule: string) => ({ ok: false as const, reason: `key '${key}' breaks the convention ${KEY_CONVENTION}: ${rule}` });
  if (!key.startsWith(prefix)) return refuse(`it is not under the prefix '${prefix}'`);
  const parts = key.slice(prefix.length).split('/');
  if (parts.length !== 3) {
    return refuse(`expected functionName/alias/build.zip after the prefix, found ${parts.length} part${parts.length === 1 ? '' : 's'}`);
  }
  const [functionName = '', alias = '', file = ''] = parts;
  if (!FUNCTION_NAME_PATTERN.test(functionName)) {
    return refuse(`the function name '${functionName}' must be 1-64 letters, digits, "-" or "_"`);
  }
  if (!ALIAS_PATTERN.test(alias)) return refuse(`the alias '${alias}' must be 1-128 letters, digits, "-" or "_", not all digits`);
  if (!file.endsWith('.zip')) return refuse(`the file '${file}' must end with .zip`);
  const build = file.slice(0, -'.zip'.length);
  if (!BUILD_PATTERN.test(build)) return refuse(`the build '${build}' must be 1-128 letters, digits, ".", "-" or "_"`);
  return { ok: true, functionName, alias, build };
}

// ----- the allow-list -----

// The allow-list is every entry point's (`scope.ts`); the trigger names functions by it too.
export { allowedFunctionRef, globMatch, parseAllowedFunctions } from './scope.js';

// ----- strategy and description from the object's tags or metadata -----

/** The tag or user-defined metadata key naming the strategy: a preset name, or (metadata only) JSON. */
export const STRATEGY_KEY = 'rollout-strategy';
/** The tag or user-defined metadata key holding the published version's description. */
export const DESCRIPTION_KEY = 'rollout-description';
/** What the artifact says about its rollout. Absent fields take the workflow's defaults. */
export interface ArtifactSettings {
  /** A preset name or a strategy object, as given (the workflow parses it again). */
  readonly strategy?: unknown;
  readonly description?: string;
}

function pick(key: string, tags: Readonly<Record<string, string>>, metadata: Readonly<Record<string, string>>): Checked<{ value?: string }> {
  const tag = tags[key]?.trim();
  const meta = metadata[key]?.trim();
  if (tag && meta && tag !== meta) {
    return { ok: false, reason: `tag ${key} ('${tag}') and metadata ${key} ('${meta}') disagree; set only one` };
  }
  const value = tag || meta;
  return value ? { ok: true, value } : { ok: true };
}

const StrategySchema = RolloutInputSchema.shape.strategy;

function issuesLine(issues: readonly FieldIssue[]): string {
  return issues.map((i) => (i.field && i.field !== '(input)' ? `${i.field}: ${i.rule}` : i.rule)).join('; ');
}

/**
 * The strategy and description an artifact's object tags or user-defined metadata ask for (keys
 * `rollout-strategy` and `rollout-description`). Tags cannot hold JSON (S3 refuses braces and quotes in
 * tag values), so a strategy object goes in metadata (`x-amz-meta-rollout-strategy`). When both a tag and
 * metadata are set they must agree. A strategy is checked with the same rules as the rollout input.
 *
 * @example artifactSettings({ 'rollout-strategy': 'Linear10PercentEvery1Minute' }, {}) // { ok: true, strategy: 'Linear10PercentEvery1Minute' }
 */
export function artifactSettings(
  tags: Readonly<Record<string, string>>,
  metadata: Readonly<Record<string, string>>,
): Checked<ArtifactSettings> {
  const strategy = pick(STRATEGY_KEY, tags, metadata);
  if (!strategy.ok) return strategy;
  const description = pick(DESCRIPTION_KEY, tags, metadata);
  if (!description.ok) return description;
  if (description.value !== undefined && description.value.length > MAX_DESCRIPTION_LENGTH) {
    return { ok: false, reason: `${DESCRIPTION_KEY} must be at most ${MAX_DESCRIPTION_LENGTH} characters (Lambda's limit for a version description); it has ${description.value.length}` };
  }
  let value: unknown = strategy.value;
  if (typeof value === 'string' && /^[[{]/.test(value)) {
    try {
      value = JSON.parse(value);
    } catch (error) {
      return { ok: false, reason: `${STRATEGY_KEY} is not valid JSON: ${(error as Error).message}` };
    }
  }
  const oversized = sizeIssues(STRATEGY_KEY, value);
  if (oversized[0]) return { ok: false, reason: `${oversized[0].field} ${oversized[0].rule}` };
  if (value !== undefined) {
    const parsed = StrategySchema.safeParse(value, { reportInput: true });
    if (!parsed.success) {
      return { ok: false, reason: `${STRATEGY_KEY} is not a strategy: ${issuesLine(toFieldIssues(parsed.error.issues))}` };
    }
  }
  return {
    ok: true,
    ...(value !== undefined ? { strategy: value } : {}),
    ...(description.value !== undefined ? { description: description.value } : {}),
  };
}

// ----- the rollout input -----

/** The rollout input an artifact starts: the normal input without targetVersion, plus the release. */
export interface ReleaseRolloutInput {
  readonly functionName: string;
  readonly alias: string;
  readonly strategy?: unknown;
  readonly release: Release;
}

/** The rollout input for an artifact: function reference, alias, the strategy if set, and the release. */
export function releaseRolloutInput(args: {
  readonly functionRef: string;
  readonly key: ArtifactKey;
  readonly bucket: string;
  readonly objectKey: string;
  readonly versionId: string;
  readonly settings: ArtifactSettings;
}): ReleaseRolloutInput {
  const location = { s3Bucket: args.bucket, s3Key: args.objectKey, s3ObjectVersion: args.versionId, build: args.key.build };
  return {
    functionName: args.functionRef,
    alias: args.key.alias,
    ...(args.settings.strategy !== undefined ? { strategy: args.settings.strategy } : {}),
    release: { ...location, description: args.settings.description ?? defaultDescription(location) },
  };
}

// ----- the execution name -----

/**
 * The execution name for one object version: readable (function and alias) and unique (128 bits of
 * a SHA-256 of bucket, key and version id). The same object version always gets the same name, so a
 * duplicate event cannot start a second rollout. At most 80 characters of `[A-Za-z0-9_-]`, the set
 * Step Functions can also log to CloudWatch Logs. The hash is passed in: core does no crypto.
 *
 * @example releaseExecutionName({ bucket: 'b', key: 'releases/orders/live/42.zip', versionId: 'v1', functionName: 'orders', alias: 'live' }, sha256Hex)
 *   // 'orders-live-' followed by 32 hex digits
 */
export function releaseExecutionName(
  args: {
    readonly bucket: string;
    readonly key: string;
    readonly versionId: string;
    readonly functionName: string;
    readonly alias: string;
  },
  sha256Hex: (text: string) => string,
): string {
  const digest = sha256Hex(`${args.bucket}\n${args.key}\n${args.versionId}`).slice(0, 32);
  const safe = (s: string, n: number) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, n);
  return `${safe(args.functionName, 30)}-${safe(args.alias, 16)}-${digest}`;
}

// ----- artifacts that start nothing -----

/** An artifact that started no rollout, and why (`artifactRefusalNotification` tells people). */
export interface ArtifactRefusal {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly functionName?: string | undefined;
  readonly alias?: string | undefined;
  readonly reason: string;
}
