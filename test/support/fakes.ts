/** Small fakes for handler tests: a Lambda world, scripted metrics, a recording notifier, a fixed clock. */
import { SimLambda } from '../../sim/lambda.js';
import type { MetricDataRequest, MetricSeries, MetricsReader } from '../../functions/ports.js';

export { RecordingNotifier } from '../../sim/notifier.js';

export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

/** orders with versions 1 (alias live) and 2, both Active with the same role. */
export function ordersWorld() {
  const lambda = new SimLambda({ now: () => T0 });
  lambda.createFunction('orders');
  lambda.publishVersion('orders');
  lambda.publishVersion('orders');
  lambda.createAlias('orders', 'live', '1');
  return lambda;
}

/** Answers every query with fixed per-version counts, and remembers the requests. */
export class ScriptedMetrics implements MetricsReader {
  readonly requests: MetricDataRequest[] = [];
  constructor(public counts: { target: [number, number]; baseline: [number, number] }) {}
  async getMetricData(request: MetricDataRequest): Promise<MetricSeries[]> {
    this.requests.push(request);
    return request.queries.map((q) => {
      const [invocations, errors] = q.id.startsWith('target') ? this.counts.target : this.counts.baseline;
      return { id: q.id, timestamps: [request.startTime], values: [q.metricName === 'Invocations' ? invocations : errors] };
    });
  }
}

export const fixedClock = (now = T0) => ({ now: () => now });
