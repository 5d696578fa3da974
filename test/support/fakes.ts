/** Small fakes for handler tests: a Lambda world, scripted metrics, a recording notifier, a fixed clock. */
import { SimLambda } from '../../sim/lambda.js';
import type { MetricDataRequest, MetricSeries, MetricsReader } from '../../functions/ports.js';
import type { PreparePorts } from '../../functions/tasks/prepare.js';

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
      const value = q.metricName === 'Invocations' ? invocations : q.metricName === 'Errors' ? errors : q.metricName === 'Throttles' ? 0 : undefined;
      return value === undefined ? { id: q.id, timestamps: [], values: [] } : { id: q.id, timestamps: [request.startTime], values: [value] };
    });
  }
}

export const fixedClock = (now = T0) => ({ now: () => now });

/** Alarms that exist, with their states. */
export const alarmsOf = (alarms: Record<string, string> = {}) => ({
  describeAlarms: async (names: readonly string[]) => names.filter((n) => n in alarms).map((name) => ({ name, state: alarms[name] as string })),
});

/** An invoker that answers every probe the same way, and counts them. */
export const probeAnswers = (answer: { statusCode?: number; functionError?: string; payload?: string } = {}) => {
  const calls: { functionName: string; qualifier: string; payload: unknown }[] = [];
  return {
    calls,
    invoke: async (functionName: string, qualifier: string, payload: unknown) => {
      calls.push({ functionName, qualifier, payload });
      return { statusCode: answer.statusCode ?? 200, functionError: answer.functionError, payload: answer.payload ?? '{}' };
    },
  };
};

/** Prepare's ports over a Lambda world: no alarms, no metrics, the world's concurrency and event sources. */
export function preparePorts(lambda: SimLambda, overrides: Partial<PreparePorts> = {}): PreparePorts {
  return { lambda, alarms: alarmsOf(), concurrency: lambda, eventSources: lambda, metrics: new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] }), clock: fixedClock(), ...overrides };
}
