/**
 * ShiftWeight: routes the current step's weight to the target, with the RevisionId last seen, and
 * reports the new weight in the service's metrics.
 */
import { startBake } from '../core/decide.js';
import { weightMetrics } from '../core/service-metrics.js';
import { asRolloutState, type RolloutState, withAlias } from '../core/state.js';
import type { Clock, LambdaControl, ServiceMetrics } from '../ports.js';
import { writeAlias } from './alias-writer.js';

/** ShiftWeight over its ports. */
export function makeShiftWeight({ lambda, clock, serviceMetrics }: { lambda: LambdaControl; clock: Clock; serviceMetrics?: ServiceMetrics | undefined }) {
  return async function shiftWeight(event: unknown): Promise<RolloutState> {
    const state = asRolloutState(event);
    const { rollout, cursor } = state;
    if (cursor.next !== 'shift' || !(cursor.weightPercent > 0 && cursor.weightPercent < 100)) {
      throw new TypeError(`ShiftWeight needs a step to shift to; the cursor says ${JSON.stringify(cursor)}`);
    }
    const written = await writeAlias(lambda, {
      functionName: rollout.functionName,
      alias: rollout.alias,
      functionVersion: rollout.baselineVersion,
      routing: { [rollout.targetVersion]: cursor.weightPercent },
      revisionId: state.alias.revisionId,
    });
    const now = clock.now();
    const shifted: RolloutState = {
      ...withAlias(state, written),
      cursor: startBake(cursor, now, rollout.health),
      history: [
        ...state.history,
        { step: cursor.step, weightPercent: cursor.weightPercent, shiftedAt: now, revisionId: written.revisionId, checks: 0 },
      ],
    };
    serviceMetrics?.emit(weightMetrics(shifted));
    return shifted;
  };
}
