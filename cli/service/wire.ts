/**
 * The rollout API's answers as a client reads them off the wire (the README documents them, and
 * test/unit/tasks/api.test.ts holds the service to them): JSON, timestamps as ISO strings.
 */
import type { VerdictKind } from '../../functions/core/health.js';
import type { RolloutStatus } from '../../functions/core/registry.js';

/** A check's counts as the API shows them. */
export interface WireCounts {
  readonly invocations: number;
  readonly errors: number;
  readonly errorRate: number;
}

/** One step of a rollout: numbered from 1; the last check's verdict and numbers once it was checked. */
export interface WireStep {
  readonly step: number;
  readonly weightPercent: number;
  readonly shiftedAt: string;
  readonly checks: number;
  readonly checkedAt?: string;
  readonly verdict?: VerdictKind;
  readonly reason?: string;
  readonly target?: WireCounts;
  readonly baseline?: WireCounts;
  /** The complete minutes [from, to) the step's checks judged, their weights, and how many were served entirely at the step's weight. */
  readonly judged?: { readonly from: string; readonly to: string; readonly weights: readonly number[]; readonly atWeight: number };
}

/** What a list shows of a rollout (`GET /rollouts`). */
export interface WireSummary {
  readonly rolloutId: string;
  readonly functionName: string;
  readonly alias: string;
  readonly baselineVersion?: string;
  readonly targetVersion: string;
  readonly status: RolloutStatus;
  readonly currentStep?: number;
  readonly totalSteps?: number;
  readonly weightPercent?: number;
  readonly startedBy: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly endedAt?: string;
  readonly reason?: string;
  readonly executionArn: string;
}

/** `GET /rollouts/{id}`: the record, every step, and the execution's live status. */
export interface WireRollout extends WireSummary {
  readonly strategy?: string;
  readonly finalVersion?: string;
  readonly lastEvent?: { readonly type: string; readonly at: string };
  readonly steps: readonly WireStep[];
  readonly execution: {
    readonly arn: string;
    readonly consoleUrl?: string;
    readonly status?: string;
    readonly startedAt?: string;
    readonly stoppedAt?: string;
    readonly error?: string;
    readonly cause?: string;
    readonly unavailable?: string;
  };
}

/** `GET /rollouts`: a page, newest first. */
export interface WirePage {
  readonly items: readonly WireSummary[];
  readonly nextToken?: string;
}

/** `POST /rollouts`: 202. */
export interface WireStarted {
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly consoleUrl?: string;
}

