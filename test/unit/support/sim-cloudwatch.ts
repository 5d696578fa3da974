/** The clock and metric the tests of the simulated CloudWatch share. */
import { SimCloudWatch } from '../../../sim/cloudwatch/index.js';

export const START = Date.UTC(2025, 0, 1, 12, 0, 0);
export const MIN = 60_000;
export const DIMS = { Api: 'orders' };

/** A SimCloudWatch whose clock reads START until the test sets it; the default delay unless one is given. */
export function clocked(delaySeconds?: number) {
  let now = START;
  const cloudwatch = new SimCloudWatch({ clock: () => now, ...(delaySeconds === undefined ? {} : { delaySeconds }) });
  return { cloudwatch, setNow: (t: number) => (now = t) };
}
