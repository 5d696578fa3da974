/**
 * The data that flows between the workflow's states. Each task takes the state and returns the
 * next one; Step Functions carries it (256 KiB at most, so the history keeps one record per step).
 */
import type { Counts, HealthPolicy, VerdictKind } from './health.js';
import type { Plan } from './strategy.js';
import type { NotificationOptions } from './notification.js';

/** What the next state of the workflow should do. */
export type NextAction = 'shift' | 'hold' | 'promote' | 'rollback';

export interface Cursor {
  /** Index of the current step in the plan (-1 before the first shift). */
  readonly step: number;
  readonly weightPercent: number;
  /** The coming Wait, in seconds: the step's bake or a hold. */
  readonly bakeSeconds: number;
  readonly next: NextAction;
  /** Seconds this step has been held for more evidence so far. */
  readonly heldSeconds: number;
  /** When the current weight took effect, epoch ms. */
  readonly shiftedAt?: number | undefined;
  /** Why `next` is what it is, in one line. */
  readonly reason?: string | undefined;
}

export interface StepRecord {
  readonly step: number;
  readonly weightPercent: number;
  readonly shiftedAt: number;
  readonly revisionId: string;
  readonly checks: number;
  readonly checkedAt?: number | undefined;
  readonly verdict?: VerdictKind | undefined;
  readonly reason?: string | undefined;
  readonly target?: Counts | undefined;
  readonly baseline?: Counts | undefined;
}

export interface Rollout {
  /** The execution's name, or a caller-given id. */
  readonly id: string;
  /** The function as the caller named it: a name or an ARN. */
  readonly functionName: string;
  readonly alias: string;
  readonly baselineVersion: string;
  readonly targetVersion: string;
  readonly plan: Plan;
  readonly health: HealthPolicy;
  readonly notifications: NotificationOptions;
  /** ISO timestamp. */
  readonly startedAt: string;
}

/** promoted: wholly on the target; rolled_back: wholly on the baseline; drift: someone else changed the alias and it was left as they set it. */
export type OutcomeStatus = 'promoted' | 'rolled_back' | 'drift';

export interface Outcome {
  readonly status: OutcomeStatus;
  /** One line: why the rollout ended this way. */
  readonly reason: string;
  /** ISO timestamp. */
  readonly at: string;
  readonly finalVersion: string;
}

/** A Catch clause's record of a failed state. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string | undefined;
}

export interface RolloutState {
  readonly rollout: Rollout;
  /** The alias as this rollout last saw or wrote it. */
  readonly alias: { readonly functionVersion: string; readonly routing: Record<string, number>; readonly revisionId: string };
  readonly cursor: Cursor;
  readonly history: readonly StepRecord[];
  readonly outcome?: Outcome | undefined;
  readonly error?: CaughtError | undefined;
}
