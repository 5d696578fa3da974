/**
 * The service's own metrics in CloudWatch embedded metric format, with Powertools Metrics: each
 * emission is printed at once as one EMF line on stdout, which Lambda ships to CloudWatch Logs and
 * CloudWatch turns into metrics. No API call and no permission; nothing is left to flush when the
 * task ends or throws.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type MetricEmission, SERVICE_METRICS } from '../core/service-metrics.js';
import { logger } from '../logger.js';
import type { ServiceMetrics } from '../ports.js';

/** {@link ServiceMetrics} as EMF lines, in the `LambdaRollout` namespace. */
export class EmfServiceMetrics implements ServiceMetrics {
  constructor(private readonly metrics = new Metrics({ namespace: SERVICE_METRICS.namespace, serviceName: SERVICE_METRICS.service, logger })) {}

  emit({ functionName, points }: MetricEmission): void {
    // Powertools prints NaN and Infinity as null, which CloudWatch would reject with the whole document.
    const refused = points.filter((point) => !Number.isFinite(point.value));
    if (refused.length > 0) logger.warn('dropped metric points that are not finite numbers', { functionName, points: refused });
    const valid = points.filter((point) => Number.isFinite(point.value));
    if (valid.length === 0) return;
    try {
      if (functionName) {
        this.metrics.addDimension(SERVICE_METRICS.functionDimension, functionName);
        // A second dimension set of `service` alone: the service-wide series the alarms watch.
        this.metrics.addDimensions({});
      }
      for (const point of valid) this.metrics.addMetric(point.name, MetricUnit[point.unit], point.value);
      this.metrics.publishStoredMetrics();
    } catch (error) {
      // publishStoredMetrics clears what was stored, even when it throws; clear what it never reached.
      this.metrics.clearMetrics();
      this.metrics.clearDimensions();
      logger.warn('could not emit the service metrics', { error: error as Error, functionName, points });
    }
  }
}
