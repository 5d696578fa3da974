/**
 * The data that flows between the workflow's states. Each task takes the state and returns the
 * next one; Step Functions carries it, 256 KiB at most, so it holds what the next decision needs
 * and nothing that grows with the rollout's length or its input beyond a bound: one short record
 * per step, reasons cut to `MAX_REASON_CHARS`. Each check's full detail (every signal with its
 * reason) goes to the rollout registry instead (`RolloutRecord.lastCheck`).
 */
import type { ConcurrencyState } from './concurrency.js';
import type { Gate, OpenGate, Request } from './control.js';
import type { Counts, HealthPolicy, Signal, VerdictKind } from './health.js';
import type { Hooks } from './hooks.js';
import type { Plan } from './strategy.js';
import type { Tally } from './tally.js';
import type { NotificationOptions } from './notification-options.js';

/**
 * What the next state of the workflow should do: shift to the cursor's weight; bake (wait and
 * check again); hold (bake longer for more evidence); await (hold for a person: a gate's decision,
 * or the end of a pause, waking as soon as it comes); promote (after the final bake: the rollout
 * is done); verify (promoted, the postTraffic hook still to answer); roll back.
 */
export type NextAction = 'shift' | 'bake' | 'hold' | 'await' | 'promote' | 'verify' | 'rollback';

export interface Cursor {
  /** Index of the current step in the plan (-1 before the first shift). */
  readonly step: number;
  readonly weightPercent: number;
  /** The step's planned bake, in seconds. */
  readonly bakeSeconds: number;
  /** The coming Wait before the next check, in seconds. */
  readonly waitSeconds?: number | undefined;
  /** When the step's bake (plus holds) ends, epoch ms. */
  readonly bakeEndsAt?: number | undefined;
  readonly next: NextAction;
  /** Seconds this step has been held for more evidence so far. */
  readonly heldSeconds: number;
  /** When the current weight took effect, epoch ms. */
  readonly shiftedAt?: number | undefined;
  /** Why `next` is what it is, in one line. */
  readonly reason?: string | undefined;
  /** An event worth telling people about after this check: a step's verdict, the start of a hold, a gate opening, a pause taking hold. */
  readonly announce?: 'verdict' | 'held' | 'gate' | 'paused' | undefined;
  /**
   * Set while the bake is over but no complete metric minute served entirely at this weight has
   * been judged yet: when that minute is in CloudWatch, epoch ms.
   */
  readonly awaiting?: number | undefined;
  /** The gate the rollout waits at (next `await`). */
  readonly gate?: OpenGate | undefined;
  /** Waiting for a resume (next `await`). */
  readonly paused?: boolean | undefined;
  /** Set once a person asked to promote: the remaining steps and gates are skipped. */
  readonly promotion?: (Request & { readonly full: boolean }) | undefined;
  /**
   * Promoted, and the promotion is still being verified (postTraffic hook, final bake): until the
   * cursor says `promote` again, a rollback puts the alias back on the baseline.
   */
  readonly final?: boolean | undefined;
  /** About how many events this execution's history holds so far (`core/continuation.ts`). */
  readonly historyEvents?: number | undefined;
  /** Continue in a new execution before the next bake: the history is nearly full. */
  readonly continueInNewExecution?: boolean | undefined;
}

/** The longest reason the state keeps (a step's, the cursor's); the registry keeps the whole check. */
export const MAX_REASON_CHARS = 300;

/**
 * A reason on one line, cut to `max` characters with "…" where it was cut.
 *
 * @example shortReason('a'.repeat(400)).length // 300
 */
export function shortReason(reason: string, max = MAX_REASON_CHARS): string {
  const line = reason.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** What a step's checks judged: the complete minutes [from, to) read during the step, the weights they were served at, and how many were served entirely at the step's weight. */
export interface Judged {
  readonly from: number;
  readonly to: number;
  readonly weights: readonly number[];
  readonly atWeight: number;
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
  /** Counts since the target first got traffic, as the last check saw them. */
  readonly target?: Counts | undefined;
  readonly baseline?: Counts | undefined;
  /** The target's observed share of the step's traffic (complete minutes since the shift), percent. */
  readonly observedSplitPercent?: number | undefined;
  /** Probe results of this step, reported apart from real traffic; `lastAt` is the last round, epoch ms. */
  readonly probes?: { readonly sent: number; readonly passed: number; readonly lastAt?: number | undefined } | undefined;
  /** What the last check judged. */
  readonly judged?: Judged | undefined;
  /** The final bake after promotion (weight 100): not a step of the plan. */
  readonly final?: boolean | undefined;
  /** How often the beforeStep hook failed before the next increase from this step. */
  readonly hookFailures?: number | undefined;
}

export interface Rollout {
  /** The execution's name, or a caller-given id. */
  readonly id: string;
  /** The Step Functions execution running this rollout. */
  readonly executionArn: string;
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
  /** The unqualified function ARN, as Prepare read it: hook events name the versions by ARN. */
  readonly functionArn?: string | undefined;
  readonly hooks?: Hooks | undefined;
  readonly gates?: readonly Gate[] | undefined;
  /** How long to keep watching after promotion; 0 or absent: not at all. */
  readonly finalBakeSeconds?: number | undefined;
  /** The baseline before the rollout began, for the final bake to compare the target with. */
  readonly baselineBefore?: PreRolloutBaseline | undefined;
}

/** The baseline's invocations and errors through the alias over a window before the rollout began. */
export interface PreRolloutBaseline {
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive. */
  readonly end: number;
  readonly invocations: number;
  readonly errors: number;
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

/**
 * How an execution that continues a long rollout knows what it is (`core/continuation.ts`): its
 * number (1 for a rollout's first continuation) and the execution that handed over to it.
 */
export interface Continuation {
  readonly number: number;
  /** The ARN of the execution that started this one and holds the lock until this one takes it over. */
  readonly from: string;
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
  /** What the judge carries from check to check (absent before the first). */
  readonly tally?: Tally | undefined;
  readonly outcome?: Outcome | undefined;
  readonly error?: CaughtError | undefined;
  /** Set in an execution that continues the rollout of an earlier one. */
  readonly continuation?: Continuation | undefined;
  /** Provisioned concurrency on the target version: what was wanted, and how far it got. */
  readonly concurrency?: ConcurrencyState | undefined;
  /** What the start notification says about event source mappings that invoke the alias. */
  readonly eventSources?: string | undefined;
  /** Hook failures that changed nothing (onRollback), and concurrency that could not be removed: told at the ending. */
  readonly notes?: readonly string[] | undefined;
}

/**
 * A light check that a task received a rollout state, so a mis-wired state machine fails with a
 * clear message instead of deep inside a task.
 */
export function asRolloutState(value: unknown): RolloutState {
  const v = value as Partial<RolloutState> | null;
  const missing = [
    typeof v?.rollout?.functionName === 'string' ? null : 'rollout.functionName',
    typeof v?.rollout?.alias === 'string' ? null : 'rollout.alias',
    typeof v?.rollout?.baselineVersion === 'string' ? null : 'rollout.baselineVersion',
    typeof v?.rollout?.targetVersion === 'string' ? null : 'rollout.targetVersion',
    Array.isArray(v?.rollout?.plan?.steps) ? null : 'rollout.plan.steps',
    typeof v?.alias?.revisionId === 'string' ? null : 'alias.revisionId',
    typeof v?.cursor?.next === 'string' ? null : 'cursor.next',
    Array.isArray(v?.history) ? null : 'history',
  ].filter((x): x is string => x !== null);
  if (missing.length > 0) throw new TypeError(`Not a rollout state: missing ${missing.join(', ')}`);
  return v as RolloutState;
}

/**
 * The latest rollout state in an execution's history, for the guard: a value that is a rollout
 * state with the alias's RevisionId, or undefined.
 *
 * @example rolloutStateIn({ refusal: { Error: 'RolloutRefused' } }) // undefined
 */
export function rolloutStateIn(value: unknown): RolloutState | undefined {
  try {
    return asRolloutState(value);
  } catch {
    return undefined;
  }
}

/**
 * The state with the alias as a task wrote or found it.
 *
 * @example withAlias(state, { functionVersion: '8', routing: {}, revisionId: 'r9' }).alias // { functionVersion: '8', routing: {}, revisionId: 'r9' }
 */
export function withAlias(state: RolloutState, alias: { functionVersion: string; routing: Readonly<Record<string, number>>; revisionId: string }): RolloutState {
  return { ...state, alias: { functionVersion: alias.functionVersion, routing: { ...alias.routing }, revisionId: alias.revisionId } };
}

/** A promoted execution's output: the outcome and every step, without the workflow's internals. */
export interface ExecutionSummary {
  readonly outcome: 'promoted';
  readonly reason: string;
  readonly rolloutId: string;
  readonly functionName: string;
  readonly alias: string;
  readonly baselineVersion: string;
  readonly targetVersion: string;
  readonly strategy: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly finalAlias: RolloutState['alias'];
  readonly steps: readonly StepRecord[];
}

/** The facts of a rollout that never change once it started. */
export interface RolloutFacts {
  readonly rolloutId: string;
  /** The Step Functions execution running it (known before StartExecution: it follows from the name). */
  readonly executionArn: string;
  /** The function as the caller named it: a name or an ARN. The lock is keyed on the bare name. */
  readonly functionName: string;
  readonly alias: string;
  /** Unknown while the API holds a pending lock: Prepare resolves it. */
  readonly baselineVersion?: string | undefined;
  readonly targetVersion: string;
  /** The strategy's readable name. */
  readonly strategy?: string | undefined;
  /** ISO timestamp. */
  readonly startedAt: string;
}

/** The facts of a rollout state. */
export function factsOf(state: RolloutState): RolloutFacts {
  const r = state.rollout;
  return {
    rolloutId: r.id,
    executionArn: r.executionArn,
    functionName: r.functionName,
    alias: r.alias,
    baselineVersion: r.baselineVersion,
    targetVersion: r.targetVersion,
    strategy: r.plan.strategy,
    startedAt: r.startedAt,
  };
}

/**
 * Where a rollout is, from what happened (shifts recorded, the alias as last seen), not from the
 * cursor, which points at the next move: before the first shift it already names the first
 * step's weight.
 */
export function positionOf(state: RolloutState): { currentStep: number; totalSteps: number; weightPercent: number } {
  const { alias, rollout } = state;
  return {
    currentStep: state.history.filter((h) => !h.final).length,
    totalSteps: rollout.plan.steps.length,
    weightPercent: alias.functionVersion === rollout.targetVersion ? 100 : (alias.routing[rollout.targetVersion] ?? 0),
  };
}
