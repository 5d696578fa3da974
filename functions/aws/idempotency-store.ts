/**
 * The API's idempotency keys in DynamoDB: one item per key (`IDEMPOTENCY#<key>`) in the registry
 * table (`dynamo-table.ts`), with a TTL. The rules (when a record still answers, what a fresh claim
 * is) are the pure functions of `core/registry.ts`, which the in-memory twin (`sim/registry.ts`)
 * applies directly; both pass the same behavioural suite.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../core/errors.js';
import { type IdempotencyRecord, IDEMPOTENCY_TTL_MS, isLive, newClaim, type StoredResponse } from '../core/registry.js';
import { REGISTRY_TABLE } from '../names.js';
import type { IdempotencyStore } from '../ports.js';
import { conditionalWrite, itemKey, RegistryTable, Update, withoutAttributes } from './dynamo-table.js';

const keyOf = (key: string) => itemKey('IDEMPOTENCY', key);
const ttlOf = (expiresAt: number) => Math.ceil(expiresAt / 1000);

// Attributes only the table needs; records are returned without them.
const INTERNAL = new Set(['pk', 'sk', 'type', REGISTRY_TABLE.ttlAttribute]);

/** Idempotency keys in the registry table. Every failure is a `core/errors.ts` class. */
export class DynamoIdempotencyStore implements IdempotencyStore {
  private readonly table: RegistryTable;

  /** `table` may be a function, read at each call, so handlers load before their environment is checked. */
  constructor(client: DynamoDBDocumentClient, table: string | (() => string)) {
    this.table = new RegistryTable(client, table);
  }

  /** PutItem unless a live record holds the key; the holder is read back when one does. */
  async claim(key: string, fingerprint: string, now: number): Promise<IdempotencyRecord | undefined> {
    const context = `PutItem idempotency key ${key}`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const claim = newClaim(key, fingerprint, now);
      const claimed = await conditionalWrite(context, () =>
        this.table.client.send(
          new PutCommand({
            TableName: this.table.name,
            Item: { ...keyOf(key), type: 'idempotency', ...claim, [REGISTRY_TABLE.ttlAttribute]: ttlOf(claim.expiresAt) },
            // Not live (see `isLive`): expired, or an in-progress claim whose request died.
            ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now OR (#status = :inProgress AND #inProgressUntil <= :now)',
            ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#status': 'status', '#inProgressUntil': 'inProgressUntil' },
            ExpressionAttributeValues: { ':now': now, ':inProgress': 'in_progress' },
          }),
        ),
      );
      if (claimed) return undefined;
      const existing = await this.table.getItem(keyOf(key), `GetItem idempotency key ${key}`);
      const record = existing ? withoutAttributes<IdempotencyRecord>(existing, INTERNAL) : undefined;
      if (isLive(record, now)) return record;
      // The holder expired or was forgotten between our write and our read: claim again.
    }
    throw new TransientError(`${context}: the key changed hands twice while claiming it; try again`);
  }

  /** Stores the answer unless the key holds another request's (a different fingerprint): not ours to overwrite. */
  async complete(key: string, fingerprint: string, response: StoredResponse, now: number): Promise<void> {
    const expiresAt = now + IDEMPOTENCY_TTL_MS;
    const u = new Update()
      .set('type', 'idempotency')
      .set('key', key)
      .set('fingerprint', fingerprint)
      .set('status', 'completed')
      .set('response', response)
      .setOnce('createdAt', now)
      .set('expiresAt', expiresAt)
      .setOnce('inProgressUntil', now)
      .set(REGISTRY_TABLE.ttlAttribute, ttlOf(expiresAt));
    u.name('pk');
    await conditionalWrite(`UpdateItem idempotency key ${key}`, () =>
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keyOf(key),
          UpdateExpression: u.expression,
          ConditionExpression: 'attribute_not_exists(#pk) OR #fingerprint = :fingerprint',
          ExpressionAttributeNames: u.names,
          ExpressionAttributeValues: u.values,
        }),
      ),
    );
  }

  /** DeleteItem of this request's in-progress claim only: a stored answer or another request's claim stays. */
  async forget(key: string, fingerprint: string): Promise<void> {
    await conditionalWrite(`DeleteItem idempotency key ${key}`, () =>
      this.table.client.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: keyOf(key),
          ConditionExpression: '#status = :inProgress AND #fingerprint = :fingerprint',
          ExpressionAttributeNames: { '#status': 'status', '#fingerprint': 'fingerprint' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':fingerprint': fingerprint },
        }),
      ),
    );
  }
}
