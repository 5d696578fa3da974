/** What the workflow knows of a Lambda function's versions and aliases. Plain data, no I/O. */

/** A published version's configuration, as far as rollouts care. */
export interface VersionConfig {
  readonly functionName: string;
  readonly functionArn: string;
  /** "$LATEST" or a published version number. */
  readonly version: string;
  /** Lambda's State: Pending, Active, Inactive or Failed. */
  readonly state: string;
  /** Lambda's LastUpdateStatus: InProgress, Successful or Failed. */
  readonly lastUpdateStatus: string;
  readonly role: string;
  /** The dead-letter target ARN, or undefined when there is none. */
  readonly deadLetterTargetArn?: string | undefined;
  readonly codeSha256?: string | undefined;
}

/** An alias as the workflow sees it: routing weights in percent (0 < w < 100) by version. */
export interface AliasState {
  readonly name: string;
  readonly functionVersion: string;
  readonly routing: Readonly<Record<string, number>>;
  readonly revisionId: string;
}

/** A change to an alias: the primary version, the extra routing, and the RevisionId last seen. */
export interface AliasUpdate {
  readonly functionName: string;
  readonly alias: string;
  readonly functionVersion: string;
  /** Version to weight in percent; empty clears the routing. */
  readonly routing: Readonly<Record<string, number>>;
  readonly revisionId: string;
}

/** True when the alias sends any traffic to a version other than its primary. */
export function isSplit(alias: Pick<AliasState, 'routing'>): boolean {
  return Object.values(alias.routing).some((w) => w > 0);
}

/**
 * True when the alias already routes exactly as `want` asks: same primary version and same
 * weights. Lets a retried write recognise its own earlier success.
 *
 * @example routesAs({ functionVersion: '2', routing: {} }, { functionVersion: '2', routing: {} }) // true
 */
export function routesAs(
  alias: Pick<AliasState, 'functionVersion' | 'routing'>,
  want: Pick<AliasUpdate, 'functionVersion' | 'routing'>,
): boolean {
  if (alias.functionVersion !== want.functionVersion) return false;
  const a = Object.entries(alias.routing).filter(([, w]) => w > 0);
  const b = Object.entries(want.routing).filter(([, w]) => w > 0);
  return a.length === b.length && b.every(([v, w]) => Math.abs((alias.routing[v] ?? 0) - w) < 1e-9);
}

/** Describes an alias's routing in words, e.g. "v3 90% + v4 10%" or "v3 100%". */
export function describeRouting(alias: Pick<AliasState, 'functionVersion' | 'routing'>): string {
  const extra = Object.entries(alias.routing).filter(([, w]) => w > 0);
  const rest = 100 - extra.reduce((t, [, w]) => t + w, 0);
  return [`v${alias.functionVersion} ${+rest.toFixed(2)}%`, ...extra.map(([v, w]) => `v${v} ${w}%`)].join(' + ');
}
