import 'aws-sdk-client-mock-vitest/extend';
import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvalidParameterValueException,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ProvisionedConcurrencyConfigNotFoundException,
  PutProvisionedConcurrencyConfigCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsConcurrencyControl, AwsEventSources } from '../../../functions/aws/lambda-concurrency.js';
import { ErrorName } from '../../../functions/core/errors.js';

const lambdaMock = mockClient(LambdaClient);
const concurrency = () => new AwsConcurrencyControl(new LambdaClient({}));
const notFound = new ProvisionedConcurrencyConfigNotFoundException({ message: 'No Provisioned Concurrency Config found for this function', $metadata: { httpStatusCode: 404 } });

beforeEach(() => {
  lambdaMock.reset();
});

describe('AwsConcurrencyControl', () => {
  it('reads a configuration, and none as undefined', async () => {
    lambdaMock.on(GetProvisionedConcurrencyConfigCommand, { Qualifier: 'live' }).resolves({ RequestedProvisionedConcurrentExecutions: 20, AllocatedProvisionedConcurrentExecutions: 12, Status: 'IN_PROGRESS' });
    lambdaMock.on(GetProvisionedConcurrencyConfigCommand, { Qualifier: '8' }).rejects(notFound);
    expect(await concurrency().getProvisioned('orders', 'live')).toEqual({ qualifier: 'live', requested: 20, allocated: 12, status: 'IN_PROGRESS' });
    expect(await concurrency().getProvisioned('orders', '8')).toBeUndefined();
  });

  it('requests provisioned concurrency on a version, and says why Lambda refused it', async () => {
    lambdaMock.on(PutProvisionedConcurrencyConfigCommand).resolvesOnce({ RequestedProvisionedConcurrentExecutions: 20, Status: 'IN_PROGRESS' }).rejectsOnce(
      new InvalidParameterValueException({ message: 'Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution', $metadata: { httpStatusCode: 400 } }),
    );
    expect(await concurrency().putProvisioned('orders', '8', 20)).toEqual({ qualifier: '8', requested: 20, allocated: undefined, status: 'IN_PROGRESS' });
    expect(lambdaMock).toHaveReceivedCommandWith(PutProvisionedConcurrencyConfigCommand, { FunctionName: 'orders', Qualifier: '8', ProvisionedConcurrentExecutions: 20 });
    await expect(concurrency().putProvisioned('orders', '8', 20)).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining('reservedConcurrentExecution') });
  });

  it('removes a configuration; one already gone is no error', async () => {
    lambdaMock.on(DeleteProvisionedConcurrencyConfigCommand).resolvesOnce({}).rejectsOnce(notFound);
    expect(await concurrency().deleteProvisioned('orders', '8')).toBe(true);
    expect(await concurrency().deleteProvisioned('orders', '8')).toBe(false);
  });

  it('lists every configuration of the function, page by page, by qualifier', async () => {
    lambdaMock
      .on(ListProvisionedConcurrencyConfigsCommand)
      .resolvesOnce({ ProvisionedConcurrencyConfigs: [{ FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders:live', RequestedProvisionedConcurrentExecutions: 20, Status: 'READY' }], NextMarker: 'm' })
      .resolvesOnce({ ProvisionedConcurrencyConfigs: [{ FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders:3', RequestedProvisionedConcurrentExecutions: 5, Status: 'READY' }] });
    expect((await concurrency().listProvisioned('orders')).map((c) => `${c.qualifier}:${c.requested}`)).toEqual(['live:20', '3:5']);
  });

  it('reads reserved and unreserved concurrency; throttling is retryable', async () => {
    lambdaMock.on(GetFunctionConcurrencyCommand).resolvesOnce({ ReservedConcurrentExecutions: 50 }).resolvesOnce({});
    lambdaMock.on(GetAccountSettingsCommand).resolvesOnce({ AccountLimit: { UnreservedConcurrentExecutions: 900 } }).rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));
    expect(await concurrency().getReservedConcurrency('orders')).toBe(50);
    expect(await concurrency().getReservedConcurrency('orders')).toBeUndefined();
    expect(await concurrency().getUnreservedConcurrency()).toBe(900);
    await expect(concurrency().getUnreservedConcurrency()).rejects.toMatchObject({ name: ErrorName.Throttled });
  });
});

describe('AwsEventSources', () => {
  it('lists the mappings of the alias ARN, every page', async () => {
    lambdaMock
      .on(ListEventSourceMappingsCommand)
      .resolvesOnce({ EventSourceMappings: [{ UUID: 'u1', EventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:q', State: 'Enabled' }], NextMarker: 'n' })
      .resolvesOnce({ EventSourceMappings: [{ UUID: 'u2', EventSourceArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/s', State: 'Disabled' }] });
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:orders:live';
    expect(await new AwsEventSources(new LambdaClient({})).listFor(arn)).toEqual([
      { uuid: 'u1', eventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:q', state: 'Enabled' },
      { uuid: 'u2', eventSourceArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/s', state: 'Disabled' },
    ]);
    expect(lambdaMock).toHaveReceivedCommandWith(ListEventSourceMappingsCommand, { FunctionName: arn });
  });
});
