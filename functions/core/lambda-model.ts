/**
 * What the workflow knows of a Lambda function's versions and aliases. Plain data, no I/O; the
 * rules about aliases (split, routing, whose a split is) are in `alias.ts`.
 */

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
