/**
 * The DynamoDB registry's exact requests (the conditional writes that make the lock) and its
 * error mapping. Behaviour is covered by the shared suite in test/unit/registry.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoRolloutRegistry } from '../../../functions/aws/registry.js';
import { ENV } from '../../../functions/names.js';
import { ErrorName } from '../../../functions/core/errors.js';
import { LockHeldError } from '../../../functions/core/registry.js';
import { marshall } from '../support/dynamodb-table.js';
import { CALLER, ending, executionArn, iso, lockRequest, T0 } from '../support/rollouts.js';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const registry = new DynamoRolloutRegistry(client, 'rollouts');
const meta = { httpStatusCode: 400 };

const heldLock = {
  pk: 'LOCK#orders:live',
  sk: 'LOCK',
  type: 'lock',
  rolloutId: 'r1',
  executionArn: executionArn('r1'),
  functionName: 'orders',
  alias: 'live',
  status: 'running',
  targetVersion: '8',
  baselineVersion: '7',
  startedBy: CALLER,
  startedAt: iso(T0),
  updatedAt: iso(T0),
};

beforeEach(() => {
  ddb.reset();
});

describe('DynamoRolloutRegistry requests', () => {
  it('acquires with one transaction: the lock free or this rollout\'s, the record new or this rollout\'s open one', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(GetCommand).resolves({ Item: heldLock });
    await registry.acquire(lockRequest('r1'));
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    const [lock, record] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(lock?.Update).toMatchObject({
      TableName: 'rollouts',
      Key: { pk: 'LOCK#orders:live', sk: 'LOCK' },
      ConditionExpression: 'attribute_not_exists(#pk) OR (#rolloutId = :rolloutId AND (#status = :pending OR #executionArn = :executionArn))',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(lock?.Update?.UpdateExpression).toContain('#startedBy = if_not_exists(#startedBy, :startedBy)');
    expect(lock?.Update?.ExpressionAttributeValues).toMatchObject({ ':rolloutId': 'r1', ':executionArn': executionArn('r1'), ':status': 'running', ':pending': 'pending' });
    expect(record?.Update).toMatchObject({
      TableName: 'rollouts',
      Key: { pk: 'ROLLOUT#r1', sk: 'ROLLOUT' },
      ConditionExpression:
        'attribute_not_exists(#pk) OR (#aliasKey = :aliasKey AND (#status = :pending OR (#status = :running AND #executionArn = :executionArn)))',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(record?.Update?.ExpressionAttributeValues).toMatchObject({
      ':gsi1pk': 'FUNCTION#orders',
      ':gsi2pk': 'STATUS#running',
      ':gsi3pk': executionArn('r1'),
      ':gsi4pk': 'ROLLOUT',
      ':startedKey': `${iso(T0)}#r1`,
      ':aliasKey': 'orders:live',
    });
    // The lock as written is read back consistently, for its first writer's startedBy and startedAt.
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'rollouts', Key: { pk: 'LOCK#orders:live', sk: 'LOCK' }, ConsistentRead: true });
  });

  it('acquires for the API (pending) only a free lock, or the pending one of the same rollout', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(GetCommand).resolves({ Item: { ...heldLock, status: 'pending' } });
    await registry.acquire(lockRequest('r1', { status: 'pending', baselineVersion: undefined }));
    const [lock, record] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(lock?.Update?.ConditionExpression).toBe('attribute_not_exists(#pk) OR (#rolloutId = :rolloutId AND #status = :pending)');
    expect(record?.Update?.ConditionExpression).toBe('attribute_not_exists(#pk) OR (#aliasKey = :aliasKey AND #status = :pending)');
    expect(lock?.Update?.UpdateExpression).not.toContain('#baselineVersion');
    expect(Object.values(lock?.Update?.ExpressionAttributeValues ?? {})).not.toContain(undefined);
  });

  it('names the holder from the item DynamoDB returns with the cancellation, without another read', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]',
        $metadata: meta,
        CancellationReasons: [{ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: (marshall(heldLock) as { M: never }).M }, { Code: 'None' }],
      }),
    );
    const error = await registry.acquire(lockRequest('r2')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).message).toBe(
      `Rollout refused, nothing was changed: rollout r1 is already running on orders:live (execution ${executionArn('r1')}, since ${iso(T0)})`,
    );
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('reads the holder when the cancellation carries no item', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({ message: 'cancelled', $metadata: meta, CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }] }),
    );
    ddb.on(GetCommand).resolves({ Item: heldLock });
    await expect(registry.acquire(lockRequest('r2'))).rejects.toMatchObject({ name: ErrorName.Refused, holder: { rolloutId: 'r1' } });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { pk: 'LOCK#orders:live', sk: 'LOCK' }, ConsistentRead: true });
  });

  it('releases with a delete conditioned on the holder, and calls a failed condition "not ours"', async () => {
    ddb.on(DeleteCommand).resolvesOnce({}).rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta }));
    expect(await registry.release({ functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1') })).toBe(true);
    expect(await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1') })).toBe(false);
    expect(ddb).toHaveReceivedNthCommandWith(DeleteCommand, 1, {
      TableName: 'rollouts',
      Key: { pk: 'LOCK#orders:live', sk: 'LOCK' },
      ConditionExpression: '#rolloutId = :rolloutId AND #executionArn = :executionArn',
      ExpressionAttributeNames: { '#rolloutId': 'rolloutId', '#executionArn': 'executionArn' },
      ExpressionAttributeValues: { ':rolloutId': 'r1', ':executionArn': executionArn('r1') },
    });
  });

  it("records a hand-off on the lock, conditioned on this rollout's execution holding it", async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta }));
    ddb.on(GetCommand).resolves({ Item: heldLock });
    const handOff = { to: executionArn('r1-c1'), digest: 'ab12' };
    const request = { functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1'), handOff, at: iso(T0 + 1000) };
    expect(await registry.recordHandOff(request)).toBe(true);
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 1, {
      TableName: 'rollouts',
      Key: { pk: 'LOCK#orders:live', sk: 'LOCK' },
      UpdateExpression: 'SET #handOff = :handOff, #updatedAt = :updatedAt',
      ConditionExpression: '#rolloutId = :rolloutId AND #executionArn = :executionArn',
      ExpressionAttributeNames: { '#handOff': 'handOff', '#updatedAt': 'updatedAt', '#rolloutId': 'rolloutId', '#executionArn': 'executionArn' },
      ExpressionAttributeValues: { ':handOff': handOff, ':updatedAt': iso(T0 + 1000), ':rolloutId': 'r1', ':executionArn': executionArn('r1') },
    });
    // A failed condition: the lock says whether the continuation holds it already (here, nobody moved it).
    expect(await registry.recordHandOff({ ...request, executionArn: executionArn('r1-other') })).toBe(false);
  });

  it('hands over in one transaction only to the execution and input the lock names, removing the hand-off', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const to = executionArn('r1-c1');
    expect(await registry.handOver({ functionName: 'orders', alias: 'live', rolloutId: 'r1', from: executionArn('r1'), to, digest: 'ab12', at: iso(T0 + 2000) })).toBe(true);
    const [lock, record] = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(lock?.Update).toEqual({
      TableName: 'rollouts',
      Key: { pk: 'LOCK#orders:live', sk: 'LOCK' },
      UpdateExpression: 'SET #executionArn = :executionArn, #updatedAt = :updatedAt REMOVE #handOff',
      ConditionExpression: '#rolloutId = :rolloutId AND #executionArn = :from AND #handOff = :handOff',
      ExpressionAttributeNames: { '#executionArn': 'executionArn', '#updatedAt': 'updatedAt', '#handOff': 'handOff', '#rolloutId': 'rolloutId' },
      ExpressionAttributeValues: { ':executionArn': to, ':updatedAt': iso(T0 + 2000), ':rolloutId': 'r1', ':from': executionArn('r1'), ':handOff': { to, digest: 'ab12' } },
    });
    expect(record?.Update).toMatchObject({ Key: { pk: 'ROLLOUT#r1', sk: 'ROLLOUT' }, ConditionExpression: '#executionArn = :from AND attribute_not_exists(#endedAt)' });
  });

  it('writes an ending only to a new record or the open one of the same execution, moving it to its status index', async () => {
    ddb.on(UpdateCommand).resolves({});
    expect(await registry.finish(ending('r1', { status: 'rolled_back', finalVersion: '7' }))).toBe(true);
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: 'rollouts',
      Key: { pk: 'ROLLOUT#r1', sk: 'ROLLOUT' },
      ConditionExpression: 'attribute_not_exists(#pk) OR (#executionArn = :executionArn AND attribute_not_exists(#endedAt))',
    });
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':status': 'rolled_back', ':gsi2pk': 'STATUS#rolled_back', ':finalVersion': '7', ':endedAt': iso(T0 + 600_000) });
    expect(input?.UpdateExpression).toContain('#startedAt = if_not_exists(#startedAt, :startedAt)');
  });

  it('lists from the status index newest first, reading one item past the page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await registry.list({ status: 'running', limit: 5 });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'rollouts',
      IndexName: 'byStatus',
      KeyConditionExpression: '#gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': 'STATUS#running' },
      ScanIndexForward: false,
      Limit: 6,
    });
  });
});

describe('DynamoRolloutRegistry errors', () => {
  it('maps DynamoDB throttling (HTTP 400) to Throttled, so the workflow retries', async () => {
    ddb.on(GetCommand).rejects(new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded', $metadata: meta }));
    await expect(registry.get('r1')).rejects.toMatchObject({ name: ErrorName.Throttled, message: expect.stringContaining('GetItem rollout r1') });
  });

  it('maps a transaction that met another one to a transient error, and a throttled one to Throttled', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(new TransactionCanceledException({ message: 'cancelled', $metadata: meta, CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }] }))
      .rejectsOnce(new TransactionCanceledException({ message: 'cancelled', $metadata: meta, CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }] }));
    await expect(registry.acquire(lockRequest('r1'))).rejects.toMatchObject({ name: ErrorName.Transient });
    await expect(registry.acquire(lockRequest('r1'))).rejects.toMatchObject({ name: ErrorName.Throttled });
  });

  it('maps server errors to transient ones and keeps the SDK error as cause', async () => {
    const boom = Object.assign(new Error('We encountered an internal error'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    ddb.on(QueryCommand).rejects(boom);
    const error = await registry.findByExecution(executionArn('r1')).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: ErrorName.Transient, cause: boom });
  });

  it('refuses to call DynamoDB without a table name, naming the variable', async () => {
    const unnamed = new DynamoRolloutRegistry(client, () => '');
    await expect(unnamed.get('r1')).rejects.toMatchObject({ name: ErrorName.Rejected, message: expect.stringContaining(ENV.tableName) });
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});
