/**
 * The Lambda adapter through a real LambdaClient whose HTTP handler is a fake: proves what goes on
 * the wire (the mock client in lambda-control.test.ts stops before serialization) and that errors
 * as the SDK deserializes them map as expected. Nothing leaves the process.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { AwsLambdaControl } from '../../../functions/aws/lambda-control.js';
import { ErrorName } from '../../../functions/core/errors.js';

interface Sent {
  method: string;
  path: string;
  body: string;
}

function fakeLambda(status: number, headers: Record<string, string>, body: string) {
  const sent: Sent[] = [];
  const client = new LambdaClient({
    region: 'eu-west-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: {
      handle: async (request: { method: string; path: string; body?: unknown }) => {
        const raw = request.body;
        sent.push({
          method: request.method,
          path: request.path,
          body: typeof raw === 'string' ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : '',
        });
        return { response: { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: new TextEncoder().encode(body) } };
      },
    },
  });
  return { control: new AwsLambdaControl(client), sent };
}

const update = { functionName: 'orders', alias: 'live', functionVersion: '8', revisionId: 'rev-1' };

describe('UpdateAlias on the wire', () => {
  it('serializes a cleared routing as an explicit empty map', async () => {
    const { control, sent } = fakeLambda(200, {}, '{"Name":"live","FunctionVersion":"8","RevisionId":"rev-2"}');

    const alias = await control.updateAlias({ ...update, routing: {} });

    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('PUT');
    expect(sent[0]?.path).toBe('/2015-03-31/functions/orders/aliases/live');
    expect(JSON.parse(sent[0]?.body ?? '')).toStrictEqual({
      FunctionVersion: '8',
      RevisionId: 'rev-1',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
    expect(alias.revisionId).toBe('rev-2');
  });

  it('serializes a 10% shift as 0.1', async () => {
    const { control, sent } = fakeLambda(200, {}, '{"Name":"live","FunctionVersion":"7","RevisionId":"rev-2","RoutingConfig":{"AdditionalVersionWeights":{"8":0.1}}}');
    const alias = await control.updateAlias({ ...update, functionVersion: '7', routing: { '8': 10 } });
    expect(JSON.parse(sent[0]?.body ?? '').RoutingConfig).toStrictEqual({ AdditionalVersionWeights: { '8': 0.1 } });
    expect(alias.routing).toEqual({ '8': 10 });
  });

  it('maps a 412 as the SDK deserializes it to AliasDrift', async () => {
    const { control } = fakeLambda(
      412,
      { 'x-amzn-errortype': 'PreconditionFailedException' },
      '{"Type":"User","message":"The Revision Id provided does not match the latest Revision Id."}',
    );
    await expect(control.updateAlias({ ...update, routing: {} })).rejects.toMatchObject({
      name: ErrorName.Drift,
      message: expect.stringContaining('The Revision Id provided does not match the latest Revision Id.'),
    });
  });

  it('maps a 409 as the SDK deserializes it to AliasUpdateInProgress', async () => {
    const { control } = fakeLambda(409, { 'x-amzn-errortype': 'ResourceConflictException' }, '{"Type":"User","message":"The operation cannot be performed at this time."}');
    await expect(control.updateAlias({ ...update, routing: {} })).rejects.toMatchObject({ name: ErrorName.UpdateInProgress });
  });
});
