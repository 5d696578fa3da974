/**
 * The verbs that act on a running rollout, each one route of the API (`POST /rollouts/{id}/<verb>`)
 * and one entry here: the command line, its help and its example come from this table, and the
 * client sends every one the same way. A verb joins the table when the service gains its route.
 */
export interface ControlVerb {
  /** One line for `rollout --help`. */
  readonly summary: string;
  /** `--reason` is sent as `{ reason }`: required, optional, or not taken. */
  readonly reason: 'required' | 'optional';
  /** What `--reason` is for, in the verb's help. */
  readonly reasonHelp: string;
  /** What the verb does, after the request is accepted. */
  readonly help: string;
  readonly example: string;
}

export const CONTROL_VERBS = {
  abort: {
    summary: 'Stop a running rollout; the guard puts the alias back on the baseline and records it aborted.',
    reason: 'required',
    reasonHelp: 'why it is aborted (1-1024 characters): recorded, and sent with the notification',
    help: 'The execution stops at once (StopExecution with RolloutAborted); the guard then restores the alias with the RevisionId this rollout last saw (never over someone else\'s change), records the ending and releases the lock. With --wait, follows it to that ending (exit 1: the rollout was not promoted).',
    example: 'rollout abort orders-live-v8-3f2a9c01b7d4 --reason "p99 latency doubled on the orders dashboard"',
  },
} as const satisfies Record<string, ControlVerb>;

export type ControlVerbName = keyof typeof CONTROL_VERBS;
