/** MetricsReader over the AWS SDK v3 CloudWatch client (GetMetricData). */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataOutput,
  type MessageData,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { RejectedError, TransientError } from '../core/errors.js';
import type { MetricDataRequest, MetricQuery, MetricSeries, MetricsReader } from '../ports.js';
import { mapAwsErrors } from './errors.js';

/**
 * The most MetricDataQuery structures one GetMetricData call may carry
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
 */
export const MAX_QUERIES_PER_CALL = 500;

function toQuery(q: MetricQuery): MetricDataQuery {
  return {
    Id: q.id,
    MetricStat: {
      Metric: {
        Namespace: q.namespace,
        MetricName: q.metricName,
        Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: q.periodSeconds,
      Stat: q.stat,
    },
    ReturnData: true,
  };
}

// The documented messages (e.g. "Maximum number of allowed metrics exceeded", Forbidden for
// cross-Region reads) all mean that data we asked for is missing; we send neither math nor
// Metrics Insights queries, so no message is merely informational. Only InternalError is
// worth a retry: CloudWatch itself says to retry the request.
function checkMessages(messages: readonly MessageData[] | undefined, context: string): void {
  for (const m of messages ?? []) {
    const text = `${context}: ${m.Code ?? 'message'}: ${m.Value ?? ''}`.trim();
    if (m.Code === 'InternalError') throw new TransientError(text);
    throw new RejectedError(text);
  }
}

interface Points {
  timestamps: number[];
  values: number[];
}

/** CloudWatch metrics through a `CloudWatchClient`. Every failure is a `core/errors.ts` class. */
export class AwsMetricsReader implements MetricsReader {
  constructor(private readonly client: CloudWatchClient) {}

  /**
   * GetMetricData for all queries: split into calls of at most 500 queries, every page followed
   * through NextToken, pages merged per query id. Returns one series per query, in the order
   * asked, each sorted by ascending timestamp (epoch ms); periods without data are absent.
   */
  async getMetricData(request: MetricDataRequest): Promise<MetricSeries[]> {
    const ids = new Set<string>();
    for (const q of request.queries) {
      if (ids.has(q.id)) throw new RejectedError(`GetMetricData: query id ${q.id} is used twice; ids must be unique`);
      ids.add(q.id);
    }
    const points = new Map<string, Points>(request.queries.map((q) => [q.id, { timestamps: [], values: [] }]));
    for (let i = 0; i < request.queries.length; i += MAX_QUERIES_PER_CALL) {
      await this.readChunk(request, request.queries.slice(i, i + MAX_QUERIES_PER_CALL), points);
    }
    return request.queries.map((q) => sortedSeries(q.id, points.get(q.id) ?? { timestamps: [], values: [] }));
  }

  private async readChunk(request: MetricDataRequest, queries: readonly MetricQuery[], points: Map<string, Points>): Promise<void> {
    const shown = queries.slice(0, 4).map((q) => q.id).join(',');
    const context = `GetMetricData ${shown}${queries.length > 4 ? ` and ${queries.length - 4} more` : ''}`;
    let nextToken: string | undefined;
    do {
      const page: GetMetricDataOutput = await mapAwsErrors(context, () =>
        this.client.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries.map(toQuery),
            StartTime: new Date(request.startTime),
            EndTime: new Date(request.endTime),
            ScanBy: 'TimestampAscending',
            NextToken: nextToken,
          }),
        ),
      );
      checkMessages(page.Messages, context);
      for (const result of page.MetricDataResults ?? []) {
        const id = result.Id ?? '';
        checkMessages(result.Messages, `${context} ${id}`);
        if (result.StatusCode === 'InternalError') throw new TransientError(`${context}: CloudWatch reported an internal error for ${id}`);
        if (result.StatusCode === 'Forbidden') throw new RejectedError(`${context}: CloudWatch refused access to the data of ${id}`);
        if (result.StatusCode === 'PartialData' && !page.NextToken) {
          throw new TransientError(`${context}: CloudWatch returned partial data for ${id} without a NextToken to read the rest`);
        }
        const target = points.get(id);
        if (!target) continue;
        const timestamps = result.Timestamps ?? [];
        const values = result.Values ?? [];
        if (timestamps.length !== values.length) {
          throw new TransientError(`${context}: ${id} has ${timestamps.length} timestamps but ${values.length} values`);
        }
        for (const [k, t] of timestamps.entries()) {
          target.timestamps.push(new Date(t).getTime());
          target.values.push(values[k] as number);
        }
      }
      if (page.NextToken && page.NextToken === nextToken) {
        throw new TransientError(`${context}: CloudWatch returned the NextToken it was sent; stopping rather than looping`);
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
}

function sortedSeries(id: string, p: Points): MetricSeries {
  const order = p.timestamps.map((_, k) => k).sort((a, b) => (p.timestamps[a] as number) - (p.timestamps[b] as number));
  return { id, timestamps: order.map((k) => p.timestamps[k] as number), values: order.map((k) => p.values[k] as number) };
}
