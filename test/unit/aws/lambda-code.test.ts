import 'aws-sdk-client-mock-vitest/extend';
import {
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsCodeRelease } from '../../../functions/aws/lambda-code.js';
import { DriftError, ErrorName } from '../../../functions/core/errors.js';

const lambdaMock = mockClient(LambdaClient);
const release = () => new AwsCodeRelease(new LambdaClient({}));
const LOCATION = { s3Bucket: 'artifacts', s3Key: 'releases/orders/live/42.zip', s3ObjectVersion: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' };

beforeEach(() => {
  lambdaMock.reset();
});

describe('AwsCodeRelease.updateCode', () => {
  it('updates $LATEST from the exact object version without publishing, and returns CodeSha256 and RevisionId', async () => {
    lambdaMock.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: 'new=', RevisionId: 'rev-2', LastUpdateStatus: 'InProgress' });

    const out = await release().updateCode('orders', LOCATION);

    expect(lambdaMock).toHaveReceivedCommandTimes(UpdateFunctionCodeCommand, 1);
    expect(lambdaMock.commandCalls(UpdateFunctionCodeCommand)[0]?.args[0].input).toStrictEqual({
      FunctionName: 'orders',
      S3Bucket: 'artifacts',
      S3Key: 'releases/orders/live/42.zip',
      S3ObjectVersion: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
      Publish: false,
    });
    expect(out).toEqual({ codeSha256: 'new=', revisionId: 'rev-2' });
  });

  it('refuses to update without an object version, sending nothing', async () => {
    await expect(release().updateCode('orders', { ...LOCATION, s3ObjectVersion: '' })).rejects.toMatchObject({
      name: ErrorName.Rejected,
      message: expect.stringContaining('without the S3 object version'),
    });
    expect(lambdaMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses an answer without a CodeSha256', async () => {
    lambdaMock.on(UpdateFunctionCodeCommand).resolves({ RevisionId: 'rev-2' });
    await expect(release().updateCode('orders', LOCATION)).rejects.toMatchObject({ name: ErrorName.Rejected });
  });

  it.each([
    [new ResourceConflictException({ message: 'An update is in progress for resource', $metadata: { httpStatusCode: 409 } }), ErrorName.UpdateInProgress],
    [new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }), ErrorName.Throttled],
    [new ResourceNotFoundException({ message: 'Function not found', $metadata: { httpStatusCode: 404 } }), ErrorName.NotFound],
    [new InvalidParameterValueException({ message: 'Error occurred while GetObject. S3 Error Code: NoSuchVersion', $metadata: { httpStatusCode: 400 } }), ErrorName.Rejected],
  ])('maps %s to %s', async (error, name) => {
    lambdaMock.on(UpdateFunctionCodeCommand).rejects(error);
    await expect(release().updateCode('orders', LOCATION)).rejects.toMatchObject({
      name,
      message: expect.stringContaining('UpdateFunctionCode orders from s3://artifacts/releases/orders/live/42.zip?versionId=3HL4'),
    });
  });
});

describe('AwsCodeRelease.getCodeStatus', () => {
  it('reads $LATEST: state, LastUpdateStatus with its reason, CodeSha256 and RevisionId', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({
      State: 'Active',
      LastUpdateStatus: 'Failed',
      LastUpdateStatusReasonCode: 'InvalidZipFileException',
      LastUpdateStatusReason: 'Could not unzip uploaded file',
      CodeSha256: 'old=',
      RevisionId: 'rev-3',
    });

    const status = await release().getCodeStatus('orders');

    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand)[0]?.args[0].input).toStrictEqual({ FunctionName: 'orders' });
    expect(status).toEqual({
      state: 'Active',
      lastUpdateStatus: 'Failed',
      reason: 'InvalidZipFileException: Could not unzip uploaded file',
      codeSha256: 'old=',
      revisionId: 'rev-3',
    });
  });

  it('has no reason while the update runs', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: 'Active', LastUpdateStatus: 'InProgress', CodeSha256: 'new=', RevisionId: 'rev-2' });
    expect(await release().getCodeStatus('orders')).toEqual({ state: 'Active', lastUpdateStatus: 'InProgress', codeSha256: 'new=', revisionId: 'rev-2' });
  });
});

describe('AwsCodeRelease.publishVersion', () => {
  const request = { codeSha256: 'new=', revisionId: 'rev-4', description: 'lambda-rollout build 42' };

  it('publishes with the CodeSha256, RevisionId and description, and returns the version', async () => {
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '8', CodeSha256: 'new=' });

    expect(await release().publishVersion('orders', request)).toEqual({ version: '8' });
    expect(lambdaMock.commandCalls(PublishVersionCommand)[0]?.args[0].input).toStrictEqual({
      FunctionName: 'orders',
      CodeSha256: 'new=',
      RevisionId: 'rev-4',
      Description: 'lambda-rollout build 42',
    });
  });

  it('sends no RevisionId when it has none', async () => {
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '8', CodeSha256: 'new=' });
    await release().publishVersion('orders', { ...request, revisionId: undefined });
    expect(lambdaMock.commandCalls(PublishVersionCommand)[0]?.args[0].input).toStrictEqual({ FunctionName: 'orders', CodeSha256: 'new=', Description: 'lambda-rollout build 42' });
  });

  it('refuses to publish without a CodeSha256, sending nothing', async () => {
    await expect(release().publishVersion('orders', { ...request, codeSha256: '' })).rejects.toMatchObject({ name: ErrorName.Rejected });
    expect(lambdaMock).not.toHaveReceivedAnyCommand();
  });

  it('maps a CodeSha256 mismatch (400) to DriftError: someone else changed $LATEST', async () => {
    const original = new InvalidParameterValueException({
      message: 'CodeSHA256 (new=) is different from current CodeSHA256 in $LATEST (theirs=). Please try again with the CodeSHA256 in $LATEST.',
      $metadata: { httpStatusCode: 400 },
    });
    lambdaMock.on(PublishVersionCommand).rejects(original);
    const error = await release().publishVersion('orders', request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriftError);
    expect(error).toMatchObject({ message: expect.stringContaining('someone else changed it, nothing was published'), cause: original });
  });

  it('maps a RevisionId mismatch (412) to DriftError', async () => {
    lambdaMock.on(PublishVersionCommand).rejects(new PreconditionFailedException({ message: 'The Revision Id provided does not match the latest Revision Id.', $metadata: { httpStatusCode: 412 } }));
    await expect(release().publishVersion('orders', request)).rejects.toBeInstanceOf(DriftError);
  });

  it('maps other 400s to RejectedError and 409 to UpdateInProgressError', async () => {
    lambdaMock
      .on(PublishVersionCommand)
      .rejectsOnce(new InvalidParameterValueException({ message: 'Description too long', $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(new ResourceConflictException({ message: 'An update is in progress', $metadata: { httpStatusCode: 409 } }));
    await expect(release().publishVersion('orders', request)).rejects.toMatchObject({ name: ErrorName.Rejected });
    await expect(release().publishVersion('orders', request)).rejects.toMatchObject({ name: ErrorName.UpdateInProgress });
  });

  it('refuses a published version whose CodeSha256 is not ours', async () => {
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '8', CodeSha256: 'theirs=' });
    await expect(release().publishVersion('orders', request)).rejects.toMatchObject({
      name: ErrorName.Drift,
      message: expect.stringContaining('published version 8 with CodeSha256 theirs=, not ours'),
    });
  });
});

describe('AwsCodeRelease.findVersion', () => {
  const WANTED = { codeSha256: 'ours=', description: 'lambda-rollout build 42' };

  it('reads every page and returns the newest version with exactly our code and description', async () => {
    lambdaMock
      .on(ListVersionsByFunctionCommand, { FunctionName: 'orders', Marker: undefined })
      .resolves({ Versions: [{ Version: '$LATEST', CodeSha256: 'ours=', Description: WANTED.description }, { Version: '7', CodeSha256: 'ours=', Description: WANTED.description }], NextMarker: 'm2' })
      .on(ListVersionsByFunctionCommand, { FunctionName: 'orders', Marker: 'm2' })
      .resolves({ Versions: [{ Version: '12', CodeSha256: 'ours=', Description: 'someone else' }, { Version: '11', CodeSha256: 'ours=', Description: WANTED.description }, { Version: '13', CodeSha256: 'theirs=', Description: WANTED.description }] });
    expect(await release().findVersion('orders', WANTED)).toBe('11');
    expect(lambdaMock).toHaveReceivedCommandTimes(ListVersionsByFunctionCommand, 2);
  });

  it('returns undefined when no version matches, and maps failures', async () => {
    lambdaMock.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '3', CodeSha256: 'theirs=' }] });
    expect(await release().findVersion('orders', WANTED)).toBeUndefined();
    lambdaMock.on(ListVersionsByFunctionCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));
    await expect(release().findVersion('orders', WANTED)).rejects.toMatchObject({ name: ErrorName.Throttled, message: expect.stringContaining('ListVersionsByFunction orders') });
  });
});
