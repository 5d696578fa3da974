/**
 * How long the traffic and CloudWatch models take to generate a 30-minute rollout: a linear
 * shift of 10 points every 3 minutes, read once a minute the way the health check reads.
 * Prints wall time per request rate. Run: npx tsx sim/bench-model.ts
 */
import { performance } from 'node:perf_hooks';
import { SimCloudWatch } from './cloudwatch/index.js';
import { Random } from './random.js';
import { TrafficModel } from './traffic.js';

const START = Date.UTC(2025, 0, 1, 12, 0, 0);
const MINUTES = 30;

async function run(rps: number): Promise<{ ms: number; requests: number }> {
  let now = START;
  const cloudwatch = new SimCloudWatch({ clock: () => now });
  const traffic = new TrafficModel({
    functionName: 'orders',
    alias: 'live',
    rate: rps,
    versions: {
      '1': { errorRate: 0.001, p50Ms: 40, p99Ms: 250 },
      '2': { errorRate: 0.002, p50Ms: 45, p99Ms: 300, changes: [{ atSeconds: 20 * 60, errorRate: 0.05 }] },
    },
    random: new Random(7).fork(),
    cloudwatch,
    startTime: START,
  });
  const routingAt = (minute: number) => {
    const weight = Math.min(90, 10 * (Math.floor(minute / 3) + 1));
    return { functionVersion: '1', routing: { '2': weight } };
  };
  let alias = routingAt(0);
  cloudwatch.beforeRead = (t) => traffic.advanceTo(t, alias);

  const began = performance.now();
  for (let minute = 1; minute <= MINUTES; minute++) {
    now = START + minute * 60_000;
    for (const version of ['1', '2']) {
      await cloudwatch.getMetricData({
        startTime: now - 5 * 60_000,
        endTime: now,
        queries: ['Invocations', 'Errors'].map((metricName) => ({
          id: `${metricName.toLowerCase()}${version}`,
          namespace: 'AWS/Lambda',
          metricName,
          dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: version },
          stat: 'Sum',
          periodSeconds: 60,
        })),
      });
    }
    traffic.advanceTo(now, alias);
    alias = routingAt(minute);
  }
  const ms = performance.now() - began;
  const requests = Object.values(traffic.totals()).reduce((t, v) => t + v.requests, 0);
  return { ms, requests };
}

for (const rps of [1, 100, 1000]) {
  const cold = await run(rps);
  const warm = await run(rps);
  console.log(
    `${String(rps).padStart(5)} rps, ${MINUTES} simulated minutes, ${warm.requests} requests: ` +
      `${cold.ms.toFixed(1)} ms wall first run, ${warm.ms.toFixed(1)} ms once warm`,
  );
}
