/**
 * Code releases: from a build artifact in S3 to a published Lambda version, before the normal rollout.
 * Pure: the artifact key convention, the allow-list match, the strategy read from an object's tags or
 * metadata, the idempotent execution name, the rollout input, and the judgement of a code update's status.
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
import { type FieldIssue, refusal } from './errors.js';
import { FUNCTION_NAME_PATTERN } from './function-ref.js';
import { MAX_DESCRIPTION_LENGTH, RolloutInputSchema, toFieldIssues } from './input.js';
import { type Notification, toSubject } from './notification.js';
import type { CaughtError } from './state.js';

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

const ARN_PREFIX = /^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:)([A-Za-z0-9_*-]+)$/;

/** True when `name` matches `pattern`, where `*` stands for any characters (as in IAM). */
export function globMatch(pattern: string, name: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(name);
}

/**
 * Splits the allow-list as the infrastructure passes it in the environment: entries separated by
 * commas, blanks dropped.
 *
 * @example parseAllowedFunctions(' orders-*, payments ,') // ['orders-*', 'payments']
 */
export function parseAllowedFunctions(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * The function reference a rollout should use for `name`, when an allow-list entry covers it: the name
 * itself for a name or name pattern (`orders-*`), or the full ARN for an ARN entry. The first matching
 * entry wins; undefined when none does. Entries are those of the construct's `allowedFunctions`.
 *
 * @example allowedFunctionRef('orders-api', ['orders-*']) // 'orders-api'
 * @example allowedFunctionRef('payments', ['arn:aws:lambda:eu-west-1:123456789012:function:payments']) // 'arn:aws:lambda:eu-west-1:123456789012:function:payments'
 */
export function allowedFunctionRef(name: string, entries: readonly string[]): string | undefined {
  for (const entry of entries) {
    const arn = ARN_PREFIX.exec(entry);
    if (arn) {
      if (globMatch(arn[2] ?? '', name)) return `${arn[1] ?? ''}${name}`;
    } else if (!entry.startsWith('arn:') && globMatch(entry, name)) {
      return name;
    }
  }
  return undefined;
}

// ----- strategy and description from the object's tags or metadata -----

/** The tag or user-defined metadata key naming the strategy: a preset name, or (metadata only) JSON. */
export const STRATEGY_KEY = 'rollout-strategy';
/** The tag or user-defined metadata key holding the published version's description. */
export const DESCRIPTION_KEY = 'rollout-description';
/** Lambda's limit for a version description. */
export { MAX_DESCRIPTION_LENGTH };

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
  if (value !== undefined) {
    const parsed = StrategySchema.safeParse(value);
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

// ----- the release and the rollout input -----

/** The exact object version a release deploys, and what to call the version it publishes. */
export interface Release {
  readonly s3Bucket: string;
  readonly s3Key: string;
  /** The object's version id: a release always names one exact, immutable object version. */
  readonly s3ObjectVersion: string;
  /** The build label from the key. */
  readonly build: string;
  /** The published version's description. */
  readonly description: string;
}

/** The rollout input an artifact starts: the normal input without targetVersion, plus the release. */
export interface ReleaseRolloutInput {
  readonly functionName: string;
  readonly alias: string;
  readonly strategy?: unknown;
  readonly release: Release;
}

/**
 * The default description of a version published from an artifact, at most 256 characters.
 *
 * @example defaultDescription({ s3Bucket: 'b', s3Key: 'releases/o/live/42.zip', s3ObjectVersion: 'v1', build: '42' })
 *   // 'lambda-rollout build 42 from s3://b/releases/o/live/42.zip (version v1)'
 */
export function defaultDescription(r: Omit<Release, 'description'>): string {
  const text = `lambda-rollout build ${r.build} from s3://${r.s3Bucket}/${r.s3Key} (version ${r.s3ObjectVersion})`;
  return text.length <= MAX_DESCRIPTION_LENGTH ? text : `${text.slice(0, MAX_DESCRIPTION_LENGTH - 3)}...`;
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

// ----- notifications for artifacts that start nothing -----

/** An artifact that started no rollout, and why. */
export interface ArtifactRefusal {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly functionName?: string | undefined;
  readonly alias?: string | undefined;
  readonly reason: string;
}

/**
 * The notification for an artifact that started nothing: a `refused` event naming the object and the rule.
 *
 * @example artifactRefusalNotification({ bucket: 'b', key: 'releases/x.zip', reason: 'why' }, 0).subject
 *   // 'lambda-rollout artifact releases/x.zip started nothing: why'
 */
export function artifactRefusalNotification(refusal: ArtifactRefusal, now: number): Notification {
  // The reason matters more than the key (which is in the body): the subject keeps 100 characters only.
  const target = refusal.functionName ? `${refusal.functionName}${refusal.alias ? `:${refusal.alias}` : ''} artifact` : `artifact ${refusal.key}`;
  return {
    type: 'refused',
    subject: toSubject(`lambda-rollout ${target} started nothing: ${refusal.reason}`),
    body: {
      type: 'refused',
      at: new Date(now).toISOString(),
      source: 'artifact',
      bucket: refusal.bucket,
      key: refusal.key,
      versionId: refusal.versionId ?? null,
      functionName: refusal.functionName ?? null,
      alias: refusal.alias ?? null,
      reason: refusal.reason,
    },
    attributes: {
      eventType: 'refused',
      ...(refusal.functionName ? { functionName: refusal.functionName } : {}),
      ...(refusal.alias ? { alias: refusal.alias } : {}),
    },
  };
}

// ----- the code update, as the release task judges it -----

/** Lambda's LastUpdateStatus values a release acts on. */
export type CodeUpdateStatus = 'InProgress' | 'Successful' | 'Failed';

/** Where UpdateFunctionCode takes the code from: one exact S3 object version. */
export interface CodeLocation {
  readonly s3Bucket: string;
  readonly s3Key: string;
  readonly s3ObjectVersion: string;
}

/** What UpdateFunctionCode answered: the CodeSha256 of the new code and the function's RevisionId. */
export interface CodeUpdate {
  readonly codeSha256: string;
  readonly revisionId: string;
}

/** `$LATEST` as GetFunctionConfiguration shows it. */
export interface CodeStatus {
  /** Pending, Active, Inactive or Failed. */
  readonly state: string;
  /** InProgress, Successful or Failed. */
  readonly lastUpdateStatus: string;
  /** LastUpdateStatusReason (with its code), when Lambda gives one. */
  readonly reason?: string | undefined;
  readonly codeSha256: string;
  readonly revisionId: string;
}

/** A release's code update as the workflow carries it between UpdateCode, CheckCode and Publish. */
export interface CodeState {
  readonly status: CodeUpdateStatus;
  /** The CodeSha256 our update set: the only code this release may publish. */
  readonly codeSha256: string;
  /** The function's RevisionId when last seen; Publish is conditioned on it. */
  readonly revisionId: string;
  /** When the update started, epoch ms. */
  readonly startedAt: number;
  /** When the status was last read, epoch ms. */
  readonly checkedAt: number;
  /** How many times the status was read. */
  readonly checks: number;
  /** Why the release was refused (Failed only), in one line. */
  readonly reason?: string | undefined;
  /** The refusal for the workflow's Notify state (Failed only), shaped like a caught error. */
  readonly refusal?: CaughtError | undefined;
}

/** How long a code update may stay InProgress before the release gives up, by default. */
export const DEFAULT_MAX_UPDATE_SECONDS = 15 * 60;

/** A Failed code state with its refusal. */
export function failedCode(code: Omit<CodeState, 'status' | 'reason' | 'refusal'>, reason: string): CodeState {
  return { ...code, status: 'Failed', reason, refusal: refusal(reason) };
}

/**
 * The next code state after reading `$LATEST`:
 * - LastUpdateStatus Failed: Failed, with Lambda's reason (Lambda kept the previous code);
 * - InProgress (or State Pending): InProgress, or Failed once `maxWaitSeconds` have passed since the update started;
 * - Successful with our CodeSha256: Successful, remembering the RevisionId for Publish;
 * - Successful with another CodeSha256: Failed, someone else changed the code, nothing will be published;
 * - anything else: Failed, naming the unknown status.
 * A state that is already Failed stays as it is.
 *
 * @example judgeCodeStatus(code, { state: 'Active', lastUpdateStatus: 'Successful', codeSha256: code.codeSha256, revisionId: 'r2' }, now, opts).status // 'Successful'
 */
export function judgeCodeStatus(
  code: CodeState,
  observed: CodeStatus,
  now: number,
  options: { readonly functionName: string; readonly maxWaitSeconds?: number | undefined },
): CodeState {
  if (code.status === 'Failed') return code;
  const fn = options.functionName;
  const limit = options.maxWaitSeconds ?? DEFAULT_MAX_UPDATE_SECONDS;
  const seen = { codeSha256: code.codeSha256, revisionId: observed.revisionId, startedAt: code.startedAt, checkedAt: now, checks: code.checks + 1 };
  switch (observed.lastUpdateStatus) {
    case 'Failed':
      return failedCode(seen, `the code update of ${fn} failed, Lambda kept the previous code: ${observed.reason || 'no reason given'}`);
    case 'InProgress':
      return waitOrGiveUp(seen, now, limit, fn, 'InProgress');
    case 'Successful':
      if (observed.state === 'Pending') return waitOrGiveUp(seen, now, limit, fn, 'Pending');
      if (observed.codeSha256 !== code.codeSha256) {
        return failedCode(seen, `CodeSha256 mismatch on ${fn}: our update set ${code.codeSha256} but $LATEST now has ${observed.codeSha256}; someone else changed the code, so no version is published`);
      }
      return { ...seen, status: 'Successful' };
    default:
      return failedCode(seen, `the code update of ${fn} has LastUpdateStatus '${observed.lastUpdateStatus}', not InProgress, Successful or Failed`);
  }
}

function waitOrGiveUp(seen: Omit<CodeState, 'status'>, now: number, limitSeconds: number, fn: string, what: string): CodeState {
  const elapsed = Math.round((now - seen.startedAt) / 1000);
  if (elapsed > limitSeconds) {
    return failedCode(seen, `the code update of ${fn} is still ${what} after ${elapsed} s (limit ${limitSeconds} s); no version is published`);
  }
  return { ...seen, status: 'InProgress' };
}
