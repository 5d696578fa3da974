/**
 * The DynamoDB idempotency store's exact requests. Behaviour is covered by the shared suite in
 * test/unit/registry.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../../functions/aws/idempotency-store.js';
import { ErrorName } from '../../../functions/core/errors.js';
import { IDEMPOTENCY_TTL_MS } from '../../../functions/core/registry.js';
import { T0 } from '../support/rollouts.js';

const ddb = mockClient(DynamoDBDocumentClient);
const store = new DynamoIdempotencyStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'rollouts');

beforeEach(() => {
  ddb.reset();
});

describe('DynamoIdempotencyStore requests', () => {
  it('claims an idempotency key with a put that only replaces a dead record, and a TTL in epoch seconds', async () => {
    ddb.on(PutCommand).resolves({});
    await store.claim('k1', 'fp1', T0);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'rollouts',
      Item: {
        pk: 'IDEMPOTENCY#k1',
        sk: 'IDEMPOTENCY',
        type: 'idempotency',
        key: 'k1',
        fingerprint: 'fp1',
        status: 'in_progress',
        createdAt: T0,
        expiresAt: T0 + IDEMPOTENCY_TTL_MS,
        inProgressUntil: T0 + 60_000,
        ttl: Math.ceil((T0 + IDEMPOTENCY_TTL_MS) / 1000),
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now OR (#status = :inProgress AND #inProgressUntil <= :now)',
      ExpressionAttributeValues: { ':now': T0, ':inProgress': 'in_progress' },
    });
  });

  it('reads the holder back, consistently, when the key is taken', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }));
    ddb.on(GetCommand).resolves({
      Item: { pk: 'IDEMPOTENCY#k1', sk: 'IDEMPOTENCY', type: 'idempotency', key: 'k1', fingerprint: 'fp1', status: 'in_progress', createdAt: T0, expiresAt: T0 + IDEMPOTENCY_TTL_MS, inProgressUntil: T0 + 60_000, ttl: 1 },
    });
    expect(await store.claim('k1', 'fp2', T0 + 1000)).toEqual({ key: 'k1', fingerprint: 'fp1', status: 'in_progress', createdAt: T0, expiresAt: T0 + IDEMPOTENCY_TTL_MS, inProgressUntil: T0 + 60_000 });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'rollouts', Key: { pk: 'IDEMPOTENCY#k1', sk: 'IDEMPOTENCY' }, ConsistentRead: true });
  });

  it('forgets only its own in-progress claim, and maps other failures', async () => {
    ddb.on(DeleteCommand).resolvesOnce({}).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await store.forget('k1', 'fp1');
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      ConditionExpression: '#status = :inProgress AND #fingerprint = :fingerprint',
      ExpressionAttributeValues: { ':inProgress': 'in_progress', ':fingerprint': 'fp1' },
    });
    await expect(store.forget('k1', 'fp1')).rejects.toMatchObject({ name: ErrorName.Throttled, message: expect.stringContaining('DeleteItem idempotency key k1') });
  });
});
