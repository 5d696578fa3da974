import type { Reported } from '../../sim/report.js';

/**
 * What the weight step line must show, worked out here rather than taken from the renderer:
 * each minute's weight held until the next minute (or the moment the alias took its final
 * routing), then the alias the outcome left behind: 100% after a promotion, 0% after a rollback,
 * held to the end of the run. (seconds, percent) pairs.
 */
export function expectedWeightSteps(r: Reported): Array<[number, number]> {
  if (r.outcome !== 'promoted' && r.outcome !== 'rolled_back') throw new Error('expectedWeightSteps knows the alias a promotion or a rollback leaves, not another ending');
  const changed = r.endedAtSeconds;
  const minutes = r.timeline.filter((p) => p.atSeconds < changed);
  const points: Array<[number, number]> = [];
  minutes.forEach((p, i) => {
    points.push([p.atSeconds, p.targetWeightPercent], [Math.min(minutes[i + 1]?.atSeconds ?? changed, changed), p.targetWeightPercent]);
  });
  const final = r.outcome === 'promoted' ? 100 : 0;
  points.push([changed, final]);
  if (r.durationSeconds > changed) points.push([r.durationSeconds, final]);
  return points;
}
