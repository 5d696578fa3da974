import 'aws-sdk-client-mock-vitest/extend';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  InternalServiceFault,
  InvalidNextToken,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsMetricsReader, MAX_QUERIES_PER_CALL } from '../../../functions/aws/cloudwatch-metrics.js';
import { ErrorName } from '../../../functions/core/errors.js';
import type { MetricQuery } from '../../../functions/ports.js';

const cwMock = mockClient(CloudWatchClient);
const reader = () => new AwsMetricsReader(new CloudWatchClient({}));

const T0 = Date.UTC(2025, 0, 1, 12, 0);
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);

const query = (id: string, version = '8'): MetricQuery => ({
  id,
  namespace: 'AWS/Lambda',
  metricName: 'Errors',
  dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: version },
  stat: 'Sum',
  periodSeconds: 60,
});

beforeEach(() => {
  cwMock.reset();
});

describe('AwsMetricsReader', () => {
  it('sends the queries, the window as Dates and ascending scan order', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'targetErrors', StatusCode: 'Complete', Timestamps: [at(0)], Values: [2] }] });

    const series = await reader().getMetricData({ queries: [query('targetErrors')], startTime: T0, endTime: T0 + 5 * MIN });

    expect(cwMock.commandCalls(GetMetricDataCommand)[0]?.args[0].input).toStrictEqual({
      MetricDataQueries: [
        {
          Id: 'targetErrors',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: 'Errors',
              Dimensions: [
                { Name: 'FunctionName', Value: 'orders' },
                { Name: 'Resource', Value: 'orders:live' },
                { Name: 'ExecutedVersion', Value: '8' },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 5 * MIN),
      ScanBy: 'TimestampAscending',
      NextToken: undefined,
    });
    expect(series).toEqual([{ id: 'targetErrors', timestamps: [T0], values: [2] }]);
  });

  it('follows NextToken and merges the pages per id, sorted by ascending time', async () => {
    const pages: Record<string, Partial<GetMetricDataCommandOutput>> = {
      first: {
        MetricDataResults: [
          { Id: 'a', StatusCode: 'PartialData', Timestamps: [at(3), at(1)], Values: [30, 10] },
          { Id: 'b', StatusCode: 'PartialData', Timestamps: [at(0)], Values: [100] },
        ],
        NextToken: 'page-2',
      },
      'page-2': {
        MetricDataResults: [
          { Id: 'a', StatusCode: 'Complete', Timestamps: [at(2), at(0)], Values: [20, 0] },
          { Id: 'b', StatusCode: 'Complete', Timestamps: [at(1)], Values: [110] },
        ],
      },
    };
    cwMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => pages[input.NextToken ?? 'first']);

    const series = await reader().getMetricData({ queries: [query('a'), query('b', '7')], startTime: T0, endTime: T0 + 5 * MIN });

    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(cwMock).toHaveReceivedNthCommandWith(GetMetricDataCommand, 1, { NextToken: undefined });
    expect(cwMock).toHaveReceivedNthCommandWith(GetMetricDataCommand, 2, { NextToken: 'page-2' });
    expect(series).toEqual([
      { id: 'a', timestamps: [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN], values: [0, 10, 20, 30] },
      { id: 'b', timestamps: [T0, T0 + MIN], values: [100, 110] },
    ]);
  });

  it(`splits more than ${MAX_QUERIES_PER_CALL} queries into several calls`, async () => {
    const queries = Array.from({ length: 1201 }, (_, k) => query(`q${k}`));
    cwMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => ({ Id: q.Id, StatusCode: 'Complete', Timestamps: [at(0)], Values: [Number(q.Id?.slice(1))] })),
    }));

    const series = await reader().getMetricData({ queries, startTime: T0, endTime: T0 + MIN });

    const calls = cwMock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries?.map((q) => q.Id));
    expect(calls.map((ids) => ids?.length)).toEqual([500, 500, 201]);
    expect(calls.flat()).toEqual(queries.map((q) => q.id));
    expect(series).toHaveLength(1201);
    expect(series[1200]).toEqual({ id: 'q1200', timestamps: [T0], values: [1200] });
  });

  it('makes one call for exactly 500 queries and none for no queries', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await reader().getMetricData({ queries: Array.from({ length: 500 }, (_, k) => query(`q${k}`)), startTime: T0, endTime: T0 + MIN });
    expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);

    cwMock.reset();
    expect(await reader().getMetricData({ queries: [], startTime: T0, endTime: T0 + MIN })).toEqual([]);
    expect(cwMock).not.toHaveReceivedAnyCommand();
  });

  it('returns an empty series for a query without data', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'a', StatusCode: 'Complete', Timestamps: [], Values: [] }] });
    const series = await reader().getMetricData({ queries: [query('a'), query('b')], startTime: T0, endTime: T0 + MIN });
    expect(series).toEqual([
      { id: 'a', timestamps: [], values: [] },
      { id: 'b', timestamps: [], values: [] },
    ]);
  });

  it('refuses duplicate query ids without calling CloudWatch', async () => {
    await expect(reader().getMetricData({ queries: [query('a'), query('a')], startTime: T0, endTime: T0 + MIN })).rejects.toMatchObject({
      name: ErrorName.Rejected,
    });
    expect(cwMock).not.toHaveReceivedAnyCommand();
  });

  describe('results that are not plain data', () => {
    const run = (output: Partial<GetMetricDataCommandOutput>) => {
      cwMock.on(GetMetricDataCommand).resolves(output);
      return reader().getMetricData({ queries: [query('a')], startTime: T0, endTime: T0 + MIN });
    };

    it('treats StatusCode InternalError as transient', async () => {
      await expect(run({ MetricDataResults: [{ Id: 'a', StatusCode: 'InternalError' }] })).rejects.toMatchObject({ name: ErrorName.Transient });
    });

    it('treats StatusCode Forbidden as rejected', async () => {
      await expect(run({ MetricDataResults: [{ Id: 'a', StatusCode: 'Forbidden' }] })).rejects.toMatchObject({ name: ErrorName.Rejected });
    });

    it('treats PartialData without a NextToken as transient rather than judging half the data', async () => {
      await expect(run({ MetricDataResults: [{ Id: 'a', StatusCode: 'PartialData', Timestamps: [at(0)], Values: [1] }] })).rejects.toMatchObject({
        name: ErrorName.Transient,
      });
    });

    it('rejects on a MaxQueriesExceeded or Forbidden message', async () => {
      await expect(
        run({ MetricDataResults: [], Messages: [{ Code: 'MaxQueriesExceeded', Value: 'Maximum number of allowed metrics exceeded' }] }),
      ).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining('Maximum number of allowed metrics exceeded') });
      cwMock.reset();
      await expect(
        run({ MetricDataResults: [{ Id: 'a', StatusCode: 'Complete', Messages: [{ Code: 'Forbidden', Value: 'Authentication too complex to retrieve cross region data' }] }] }),
      ).rejects.toMatchObject({ name: ErrorName.Rejected });
    });

    it('retries on an InternalError message', async () => {
      await expect(run({ MetricDataResults: [], Messages: [{ Code: 'InternalError', Value: 'try again' }] })).rejects.toMatchObject({ name: ErrorName.Transient });
    });

    it('stops when CloudWatch hands back the token it was sent', async () => {
      cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'a', StatusCode: 'PartialData' }], NextToken: 'same' });
      await expect(reader().getMetricData({ queries: [query('a')], startTime: T0, endTime: T0 + MIN })).rejects.toMatchObject({ name: ErrorName.Transient });
      expect(cwMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    });
  });

  it('maps SDK errors', async () => {
    cwMock
      .on(GetMetricDataCommand)
      .rejectsOnce(new InvalidNextToken({ message: 'The service returned an invalid token', $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(new InternalServiceFault({ message: 'internal', $metadata: { httpStatusCode: 500 } }));
    const request = { queries: [query('a')], startTime: T0, endTime: T0 + MIN };
    await expect(reader().getMetricData(request)).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining('GetMetricData a') });
    await expect(reader().getMetricData(request)).rejects.toMatchObject({ name: ErrorName.Transient });
  });
});
