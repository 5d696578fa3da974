import 'aws-sdk-client-mock-vitest/extend';
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsLambdaControl, fractionToPercent, percentToFraction } from '../../../functions/aws/lambda-control.js';
import { DriftError, ErrorName } from '../../../functions/core/errors.js';

const lambdaMock = mockClient(LambdaClient);
const control = () => new AwsLambdaControl(new LambdaClient({}));

beforeEach(() => {
  lambdaMock.reset();
});

describe('AwsLambdaControl.getVersion', () => {
  it('asks GetFunctionConfiguration for the version and maps the configuration', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({
      FunctionName: 'orders',
      FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders:8',
      Version: '8',
      State: 'Active',
      LastUpdateStatus: 'Successful',
      Role: 'arn:aws:iam::123456789012:role/orders',
      DeadLetterConfig: { TargetArn: 'arn:aws:sqs:eu-west-1:123456789012:orders-dlq' },
      CodeSha256: 'abc=',
    });

    const version = await control().getVersion('orders', '8');

    expect(lambdaMock).toHaveReceivedCommandExactlyOnceWith(GetFunctionConfigurationCommand, { FunctionName: 'orders', Qualifier: '8' });
    expect(version).toEqual({
      functionName: 'orders',
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders:8',
      version: '8',
      state: 'Active',
      lastUpdateStatus: 'Successful',
      role: 'arn:aws:iam::123456789012:role/orders',
      deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:orders-dlq',
      codeSha256: 'abc=',
    });
  });

  it('reports no dead-letter target when the version has none', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ FunctionName: 'orders', Version: '7', State: 'Pending', LastUpdateStatus: 'InProgress', Role: 'r' });
    const version = await control().getVersion('orders', '7');
    expect(version.deadLetterTargetArn).toBeUndefined();
    expect(version.state).toBe('Pending');
    expect(version.lastUpdateStatus).toBe('InProgress');
  });

  it('maps a missing version to NotFoundError and throttling to ThrottledError', async () => {
    lambdaMock
      .on(GetFunctionConfigurationCommand, { Qualifier: '99' })
      .rejects(new ResourceNotFoundException({ message: 'Function not found: orders:99', $metadata: { httpStatusCode: 404 } }))
      .on(GetFunctionConfigurationCommand, { Qualifier: '8' })
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    await expect(control().getVersion('orders', '99')).rejects.toMatchObject({
      name: ErrorName.NotFound,
      message: expect.stringContaining('GetFunctionConfiguration orders:99: Function not found: orders:99'),
    });
    await expect(control().getVersion('orders', '8')).rejects.toMatchObject({ name: ErrorName.Throttled });
  });
});

describe('AwsLambdaControl.getAlias', () => {
  it('turns 0..1 weights into percent', async () => {
    lambdaMock.on(GetAliasCommand).resolves({
      Name: 'live',
      FunctionVersion: '7',
      RevisionId: 'rev-1',
      RoutingConfig: { AdditionalVersionWeights: { '8': 0.125 } },
    });

    const alias = await control().getAlias('orders', 'live');

    expect(lambdaMock).toHaveReceivedCommandExactlyOnceWith(GetAliasCommand, { FunctionName: 'orders', Name: 'live' });
    expect(alias).toEqual({ name: 'live', functionVersion: '7', routing: { '8': 12.5 }, revisionId: 'rev-1' });
  });

  it('rounds to 2 decimals so 0.1 reads 10', async () => {
    lambdaMock.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '7', RevisionId: 'r', RoutingConfig: { AdditionalVersionWeights: { '8': 0.1, '9': 0.07 } } });
    expect((await control().getAlias('orders', 'live')).routing).toEqual({ '8': 10, '9': 7 });
  });

  it('reads a missing routing config, an empty map or a zero weight as no routing', async () => {
    lambdaMock
      .on(GetAliasCommand)
      .resolvesOnce({ Name: 'live', FunctionVersion: '7', RevisionId: 'r1' })
      .resolvesOnce({ Name: 'live', FunctionVersion: '7', RevisionId: 'r2', RoutingConfig: { AdditionalVersionWeights: {} } })
      .resolvesOnce({ Name: 'live', FunctionVersion: '7', RevisionId: 'r3', RoutingConfig: { AdditionalVersionWeights: { '8': 0 } } });
    expect((await control().getAlias('orders', 'live')).routing).toEqual({});
    expect((await control().getAlias('orders', 'live')).routing).toEqual({});
    expect((await control().getAlias('orders', 'live')).routing).toEqual({});
  });

  it('maps a missing alias to NotFoundError', async () => {
    lambdaMock.on(GetAliasCommand).rejects(new ResourceNotFoundException({ message: 'Alias not found', $metadata: { httpStatusCode: 404 } }));
    await expect(control().getAlias('orders', 'live')).rejects.toMatchObject({ name: ErrorName.NotFound, message: expect.stringContaining('GetAlias orders:live') });
  });
});

describe('AwsLambdaControl.updateAlias', () => {
  const base = { functionName: 'orders', alias: 'live', functionVersion: '7', revisionId: 'rev-1' };

  it('sends a 10% shift as weight 0.1 with the RevisionId, and returns the new RevisionId', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({
      Name: 'live',
      FunctionVersion: '7',
      RevisionId: 'rev-2',
      RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } },
    });

    const alias = await control().updateAlias({ ...base, routing: { '8': 10 } });

    expect(lambdaMock).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(lambdaMock.commandCalls(UpdateAliasCommand)[0]?.args[0].input).toStrictEqual({
      FunctionName: 'orders',
      Name: 'live',
      FunctionVersion: '7',
      RevisionId: 'rev-1',
      RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } },
    });
    expect(alias).toEqual({ name: 'live', functionVersion: '7', routing: { '8': 10 }, revisionId: 'rev-2' });
  });

  it('sends 12.5% as 0.125', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '7', RevisionId: 'rev-2', RoutingConfig: { AdditionalVersionWeights: { '8': 0.125 } } });
    await control().updateAlias({ ...base, routing: { '8': 12.5 } });
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateAliasCommand, { RoutingConfig: { AdditionalVersionWeights: { '8': 0.125 } } });
  });

  it('clears the routing by sending an empty weight map explicitly', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '8', RevisionId: 'rev-3' });

    const alias = await control().updateAlias({ ...base, functionVersion: '8', routing: {} });

    expect(lambdaMock.commandCalls(UpdateAliasCommand)[0]?.args[0].input).toStrictEqual({
      FunctionName: 'orders',
      Name: 'live',
      FunctionVersion: '8',
      RevisionId: 'rev-1',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
    expect(alias).toEqual({ name: 'live', functionVersion: '8', routing: {}, revisionId: 'rev-3' });
  });

  it('leaves zero weights out of the request', async () => {
    lambdaMock.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '7', RevisionId: 'rev-2' });
    await control().updateAlias({ ...base, routing: { '8': 0 } });
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateAliasCommand, { RoutingConfig: { AdditionalVersionWeights: {} } });
  });

  it('refuses to write without a RevisionId, sending nothing', async () => {
    await expect(control().updateAlias({ ...base, revisionId: '', routing: { '8': 10 } })).rejects.toMatchObject({ name: ErrorName.Rejected });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('refuses a weight of 100% or more, sending nothing', async () => {
    await expect(control().updateAlias({ ...base, routing: { '8': 100 } })).rejects.toMatchObject({ name: ErrorName.Rejected });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('maps a RevisionId mismatch to DriftError, keeping the SDK error as cause', async () => {
    const original = new PreconditionFailedException({
      message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      $metadata: { httpStatusCode: 412 },
    });
    lambdaMock.on(UpdateAliasCommand).rejects(original);

    const error = await control()
      .updateAlias({ ...base, routing: { '8': 10 } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DriftError);
    expect(error).toMatchObject({
      name: ErrorName.Drift,
      message: expect.stringContaining('UpdateAlias orders:live: The Revision Id provided does not match'),
      cause: original,
    });
  });

  it('maps a conflict to UpdateInProgressError and a server error to TransientError', async () => {
    lambdaMock
      .on(UpdateAliasCommand)
      .rejectsOnce(new ResourceConflictException({ message: 'An update is in progress for resource', $metadata: { httpStatusCode: 409 } }))
      .rejectsOnce(new ServiceException({ message: 'internal', $metadata: { httpStatusCode: 500 } }));
    await expect(control().updateAlias({ ...base, routing: { '8': 10 } })).rejects.toMatchObject({ name: ErrorName.UpdateInProgress });
    await expect(control().updateAlias({ ...base, routing: { '8': 10 } })).rejects.toMatchObject({ name: ErrorName.Transient });
  });
});

describe('weight conversion', () => {
  it('round-trips the percentages a plan uses', () => {
    for (const p of [0.5, 1, 2.5, 5, 10, 12.5, 25, 33.33, 50, 75, 99.99]) {
      expect(fractionToPercent(percentToFraction(p))).toBe(p);
    }
  });
});

describe('AwsLambdaControl.createAlias', () => {
  it('creates the alias on the version, whole, and returns it with its RevisionId', async () => {
    lambdaMock.on(CreateAliasCommand).resolves({ Name: 'live', FunctionVersion: '3', RevisionId: 'rev-1' });
    expect(await control().createAlias('orders', 'live', '3')).toEqual({ name: 'live', functionVersion: '3', routing: {}, revisionId: 'rev-1' });
    expect(lambdaMock.commandCalls(CreateAliasCommand)[0]?.args[0].input).toStrictEqual({ FunctionName: 'orders', Name: 'live', FunctionVersion: '3' });
  });

  it('maps an alias that exists already (409) to UpdateInProgressError and a missing version to NotFoundError', async () => {
    lambdaMock
      .on(CreateAliasCommand)
      .rejectsOnce(new ResourceConflictException({ message: 'Alias already exists', $metadata: { httpStatusCode: 409 } }))
      .rejectsOnce(new ResourceNotFoundException({ message: 'Function not found', $metadata: { httpStatusCode: 404 } }));
    await expect(control().createAlias('orders', 'live', '3')).rejects.toMatchObject({ name: ErrorName.UpdateInProgress, message: expect.stringContaining('CreateAlias orders:live') });
    await expect(control().createAlias('orders', 'live', '3')).rejects.toMatchObject({ name: ErrorName.NotFound });
  });
});
