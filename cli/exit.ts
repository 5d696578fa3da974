/** How the `rollout` command ends: its exit codes, and the failures that carry one. */

/** Exit codes. */
export const EXIT = {
  /** The rollout was promoted (with `simulate --runs`: every run was); or the command did what it was asked. */
  promoted: 0,
  /** The rollout was rolled back, aborted, timed out, drifted or failed. */
  notPromoted: 1,
  /** Bad usage or input: nothing was started or changed. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What kind of failure a `--json` answer reports in its `outcome`. */
export type FailureKind = 'invalid';

/**
 * A failure the command reports and exits with: the lines a person reads (each rule on its own
 * line), and for `--json` the kind and any details the service gave.
 */
export abstract class CommandFailure extends Error {
  abstract readonly exitCode: ExitCode;
  abstract readonly kind: FailureKind;
  constructor(
    readonly lines: readonly string[],
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(lines.join('\n'), options);
  }
}

/** Bad usage or input (exit 2). */
export class UsageError extends CommandFailure {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT.usage;
  readonly kind = 'invalid';
}
