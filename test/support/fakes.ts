/** Small fakes for handler tests: a Lambda world, scripted metrics, a recording notifier, a fixed clock, recorded service metrics. */
import { SimLambda } from '../../sim/lambda.js';
import type { MetricEmission } from '../../functions/core/service-metrics.js';
import type { MetricDataRequest, MetricSeries, MetricsReader, ServiceMetrics } from '../../functions/ports.js';
import type { PreparePorts } from '../../functions/tasks/prepare.js';

export { RecordingNotifier } from '../../sim/notifier.js';

export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

/** orders with versions 1 (alias live) and 2, both Active with the same role. */
export function ordersWorld() {
  const lambda = new SimLambda({ now: () => T0 });
  lambda.createFunction('orders');
  lambda.publishVersion('orders');
  lambda.publishVersion('orders');
  lambda.addAlias('orders', 'live', '1');
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

/** Records what the tasks emit to the service's metrics. */
export class RecordingMetrics implements ServiceMetrics {
  readonly emitted: MetricEmission[] = [];
  emit(emission: MetricEmission): void {
    this.emitted.push(emission);
  }
  /** Every point emitted, as `function Name=value`, for short assertions. */
  get points(): string[] {
    return this.emitted.flatMap((e) => e.points.map((p) => `${e.functionName ?? '(none)'} ${p.name}=${p.value}`));
  }
}

/** Prepare's ports over a Lambda world: no alarms, no metrics, the world's concurrency and event sources, orders allowed. */
export function preparePorts(lambda: SimLambda, overrides: Partial<PreparePorts> = {}): PreparePorts {
  return {
    lambda,
    alarms: alarmsOf(),
    concurrency: lambda,
    eventSources: lambda,
    metrics: new ScriptedMetrics({ target: [0, 0], baseline: [0, 0] }),
    clock: fixedClock(),
    allowedFunctions: ['orders'],
    ...overrides,
  };
}
