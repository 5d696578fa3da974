/**
 * Following a rollout until it ends: read it, show it, wait, again. The registry's record says
 * when it has ended; an execution that stopped (an abort, a timeout) is given time for the guard
 * to restore the alias and record the ending.
 */
import { isEnded } from '../../functions/core/registry.js';
import type { RolloutApiClient } from './api-client.js';
import type { WireRollout } from './wire.js';

export interface FollowOptions {
  /** Between reads. */
  readonly pollMs: number;
  /** Each read, as it comes. */
  readonly onView: (view: WireRollout) => void;
  /**
   * How long a stopped execution may wait for its ending to be recorded before following stops
   * anyway. Default 5 minutes: the guard runs within seconds of the stop, and retries on failure.
   */
  readonly recordGraceMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const STILL_GOING = new Set(['RUNNING', 'PENDING_REDRIVE']);
const DEFAULT_RECORD_GRACE_MS = 5 * 60_000;

/** Reads the rollout until its record has ended (or its stopped execution's grace ran out); returns the last read. */
export async function follow(api: Pick<RolloutApiClient, 'get'>, id: string, options: FollowOptions): Promise<WireRollout> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  let stoppedSince: number | undefined;
  for (;;) {
    const view = await api.get(id);
    options.onView(view);
    if (isEnded(view.status)) return view;
    const execution = view.execution.status;
    if (execution !== undefined && !STILL_GOING.has(execution)) {
      stoppedSince ??= now();
      if (now() - stoppedSince >= (options.recordGraceMs ?? DEFAULT_RECORD_GRACE_MS)) return view;
    } else {
      stoppedSince = undefined;
    }
    await sleep(options.pollMs);
  }
}
