import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DynamoRolloutRegistry, EventBridgePublisher, SfnWorkflow, serviceAwsPorts, STATE_MACHINE_ARN_ENV, TABLE_NAME_ENV } from '../../../functions/aws/index.js';
import { ErrorName } from '../../../functions/core/errors.js';
import { randomIds, systemClock } from '../../../functions/ports.js';
import { STATE_MACHINE_ARN } from '../support/rollouts.js';

const ddb = mockClient(DynamoDBDocumentClient);

describe('serviceAwsPorts', () => {
  it('builds every service port without any environment, so each function loads with only what it uses', () => {
    const ports = serviceAwsPorts(undefined, undefined, {});
    expect(ports.registry).toBeInstanceOf(DynamoRolloutRegistry);
    expect(ports.idempotency).toBe(ports.registry);
    expect(ports.events).toBeInstanceOf(EventBridgePublisher);
    expect(ports.workflow).toBeInstanceOf(SfnWorkflow);
    expect(ports.clock).toBe(systemClock);
    expect(ports.ids).toBe(randomIds);
  });

  it('reads the table name and the state machine ARN when they are first needed', async () => {
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    const env: NodeJS.ProcessEnv = {};
    const ports = serviceAwsPorts(undefined, undefined, env);
    await expect(ports.registry.get('r1')).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining(TABLE_NAME_ENV) });
    expect(() => ports.workflow.executionArnFor('x')).toThrow(STATE_MACHINE_ARN_ENV);
    env[TABLE_NAME_ENV] = 'rollouts';
    env[STATE_MACHINE_ARN_ENV] = STATE_MACHINE_ARN;
    expect(await ports.registry.get('r1')).toBeUndefined();
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'rollouts' });
    expect(ports.workflow.executionArnFor('x')).toBe('arn:aws:states:eu-west-1:123456789012:execution:lambda-rollout:x');
  });

  it('makes short ids that are safe in execution names', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomIds.newId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}$/);
  });
});
