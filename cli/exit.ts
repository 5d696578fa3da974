/**
 * How the `rollout` command ends: its exit codes, the same for rehearsals and real rollouts so a
 * CI job can branch on them, and the failures that carry one.
 */

/** Exit codes. */
export const EXIT = {
  /** The rollout was promoted (with `simulate --runs`: every run was); or the command did what it was asked. */
  promoted: 0,
  /** The rollout was rolled back, aborted, timed out, drifted or failed. */
  notPromoted: 1,
  /** Bad usage or input: nothing was started or changed. */
  usage: 2,
  /** Refused: another rollout holds the alias, or the service refused the rollout before moving traffic. */
  refused: 3,
  /** Could not reach the rollout service in AWS: credentials, permissions, network, or the stack. */
  unreachable: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What the exit codes mean, for every command's help. */
export const EXIT_CODES_HELP =
  'Exit codes: 0 promoted (or done), 1 rolled back or failed, 2 bad usage or input, 3 refused (another rollout holds the alias), 4 could not reach AWS.';

/** What kind of failure a `--json` answer reports in its `outcome`. */
export type FailureKind = 'invalid' | 'refused' | 'unreachable';

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

/** The service refused (exit 3): another rollout holds the alias, or the request cannot be done now. */
export class RefusalError extends CommandFailure {
  override readonly name = 'RefusalError';
  readonly exitCode = EXIT.refused;
  readonly kind = 'refused';
}

/** AWS could not be reached or would not answer (exit 4). */
export class UnreachableError extends CommandFailure {
  override readonly name = 'UnreachableError';
  readonly exitCode = EXIT.unreachable;
  readonly kind = 'unreachable';
}
