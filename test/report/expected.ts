import type { RehearsalResult } from '../../sim/rehearsal.js';

/**
 * What the weight step line must show, worked out here rather than taken from the renderer:
 * each minute's weight held until the next minute (or the end), then the alias the outcome left
 * behind: 100% after a promotion, 0% after a rollback. (seconds, percent) pairs.
 */
export function expectedWeightSteps(r: RehearsalResult): Array<[number, number]> {
  const end = r.durationSeconds;
  const points: Array<[number, number]> = [];
  r.timeline.forEach((p, i) => {
    points.push([p.atSeconds, p.targetWeightPercent], [Math.min(r.timeline[i + 1]?.atSeconds ?? end, end), p.targetWeightPercent]);
  });
  points.push([end, r.outcome === 'promoted' ? 100 : 0]);
  return points;
}
