/**
 * The verbs that act on a running rollout, each one route of the API (`POST /rollouts/{id}/<verb>`)
 * and one entry here: the command line, its help and its example come from this table, and the
 * client sends every one the same way. A verb joins the table when the service gains its route.
 */
/** An option of a verb beyond `--reason`, sent as one field of the body. */
export interface ControlVerbOption {
  /** As commander takes it: `--gate <id>`, or `--no-full` for a boolean that defaults to true. */
  readonly flags: string;
  readonly help: string;
  /** The body field it fills. */
  readonly field: 'gate' | 'full';
}

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
  /** Options beyond `--reason`. */
  readonly options?: readonly ControlVerbOption[];
  /** What `--wait` follows: this rollout, or the one the request started (a retry's new rollout). */
  readonly follows?: 'this' | 'started';
}

const GATE: ControlVerbOption = {
  flags: '--gate <id>',
  help: 'the gate it is about ("step-2", "promotion"): refused when the rollout waits at another one (default: the gate it waits at)',
  field: 'gate',
};

export const CONTROL_VERBS = {
  abort: {
    summary: 'Stop a running rollout; the guard puts the alias back on the baseline and records it aborted.',
    reason: 'required',
    reasonHelp: 'why it is aborted (1-1024 characters): recorded, and sent with the notification',
    help: 'The execution stops at once (StopExecution with RolloutAborted); the guard then restores the alias with the RevisionId this rollout last saw (never over someone else\'s change), records the ending and releases the lock. With --wait, follows it to that ending (exit 1: the rollout was not promoted).',
    example: 'rollout abort orders-live-v8-3f2a9c01b7d4 --reason "p99 latency doubled on the orders dashboard"',
  },
  approve: {
    summary: 'Approve the gate a rollout waits at; it moves on at once.',
    reason: 'optional',
    reasonHelp: 'why (1-1024 characters): recorded with who approved',
    help: 'Refused (exit 3) when the rollout waits at no gate, at another gate than --gate, or the gate was already decided. The rollout acts on it at once (its wait is woken), checks going on meanwhile.',
    example: 'rollout approve orders-live-v8-3f2a9c01b7d4 --gate promotion --reason "dashboards look good"',
    options: [GATE],
  },
  reject: {
    summary: 'Reject the gate a rollout waits at; it rolls back.',
    reason: 'required',
    reasonHelp: 'why it is rejected (1-1024 characters): recorded, and sent with the notification',
    help: 'Refused (exit 3) when the rollout waits at no gate, at another gate than --gate, or the gate was already decided. The rollout rolls back to the baseline at once, saying who rejected it and why.',
    example: 'rollout reject orders-live-v8-3f2a9c01b7d4 --reason "support tickets doubled"',
    options: [GATE],
  },
  pause: {
    summary: 'Hold a rollout at its current weight until it is resumed; automatic rollback stays armed.',
    reason: 'optional',
    reasonHelp: 'why (1-1024 characters): recorded with who paused it',
    help: 'The rollout keeps checking at its weight and still rolls back on an unhealthy verdict, but takes no further step (nor a gate\'s approval) until `rollout resume`. Refused (exit 3) when it is already paused or has ended.',
    example: 'rollout pause orders-live-v8-3f2a9c01b7d4 --reason "holding over the marketing launch"',
  },
  resume: {
    summary: 'Resume a paused rollout.',
    reason: 'optional',
    reasonHelp: 'why (1-1024 characters): recorded with who resumed it',
    help: 'The rollout moves on at once from where it held. Refused (exit 3) when it is not paused.',
    example: 'rollout resume orders-live-v8-3f2a9c01b7d4',
  },
  promote: {
    summary: 'Promote a rollout to 100% now, skipping its remaining steps and gates.',
    reason: 'optional',
    reasonHelp: 'why (1-1024 characters): recorded with who promoted it',
    help: 'With --no-full, the remaining checks still run at 100% (a final bake at least as long as the plan\'s remaining bakes) and an unhealthy verdict rolls the promotion back. Refused (exit 3) when the rollout is already at 100%, already being promoted, or has ended.',
    example: 'rollout promote orders-live-v8-3f2a9c01b7d4 --no-full --reason "hotfix: skip the canary steps"',
    options: [{ flags: '--no-full', help: 'keep judging at 100%: run the remaining checks before the rollout ends (default: full, no more checks)', field: 'full' }],
  },
  retry: {
    summary: 'Start a rolled-back, failed, aborted or timed-out rollout again: the same input, a new rollout id.',
    reason: 'optional',
    reasonHelp: 'why (1-1024 characters): logged with who retried it',
    help: 'The new rollout takes the alias\'s lock again (refused, exit 3, while another rollout holds it), and a release is not deployed twice: the version it published is the target. Refused (exit 3) for a rollout that is running, promoted, drifted or refused. With --wait, follows the new rollout.',
    example: 'rollout retry orders-live-v8-3f2a9c01b7d4 --wait',
    follows: 'started',
  },
} as const satisfies Record<string, ControlVerb>;

export type ControlVerbName = keyof typeof CONTROL_VERBS;
