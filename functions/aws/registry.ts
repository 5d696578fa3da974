/**
 * The rollout registry in DynamoDB: the alias locks, the rollout records and the API's
 * idempotency keys, in one table. Conditional writes make the lock; the rules they state are the
 * pure functions of `core/registry.ts` (`mayTakeLock`, `mayOpenRecord`, `mayWriteRecord`), which
 * the in-memory twin (`sim/registry.ts`) applies directly. Both pass the same behavioural suite.
 *
 * ## Table (on-demand, point-in-time recovery, encrypted)
 *
 * | key | type | |
 * | --- | --- | --- |
 * | `pk` | S | partition key |
 * | `sk` | S | sort key |
 * | `ttl` | N | TTL attribute (epoch seconds); only idempotency items have it |
 *
 * Items:
 *
 * | item | pk | sk | other attributes |
 * | --- | --- | --- | --- |
 * | lock | `LOCK#<function>:<alias>` | `LOCK` | rolloutId, executionArn, status (pending/running), functionName, alias, baselineVersion, targetVersion, startedBy, startedAt, updatedAt |
 * | rollout | `ROLLOUT#<rolloutId>` | `ROLLOUT` | the `RolloutRecord` (status, progress with every step's weight, RevisionId, verdict and numbers, reason, finalVersion, timestamps) plus the GSI keys below |
 * | idempotency key | `IDEMPOTENCY#<key>` | `IDEMPOTENCY` | fingerprint, status, response, createdAt, expiresAt, inProgressUntil, ttl |
 *
 * `<function>` is the bare function name, so a name and an ARN of the same function share one lock.
 *
 * Global secondary indexes (projection ALL; only rollout items carry their keys):
 *
 * | index | partition key | sort key | answers |
 * | --- | --- | --- | --- |
 * | `byFunction` | `gsi1pk` = `FUNCTION#<function>` (S) | `startedKey` = `<startedAt>#<rolloutId>` (S) | rollouts of a function (alias and status filtered) |
 * | `byStatus` | `gsi2pk` = `STATUS#<status>` (S) | `startedKey` (S) | rollouts by status, e.g. everything running |
 * | `byExecution` | `gsi3pk` = the execution ARN (S) | none | the rollout of an execution (the guard) |
 * | `byStartTime` | `gsi4pk` = `ROLLOUT` (S) | `startedKey` (S) | every rollout, newest first |
 *
 * Permissions: GetItem, PutItem, UpdateItem, DeleteItem, Query (table and `index/*`); the
 * transaction needs no extra action beyond UpdateItem on both items.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { InvalidInputError, RejectedError, ThrottledError, TransientError } from '../core/errors.js';
import { functionNameOf } from '../core/function-ref.js';
import {
  aliasKey,
  type IdempotencyRecord,
  IDEMPOTENCY_TTL_MS,
  isLive,
  LockHeldError,
  type LockRequest,
  newClaim,
  type ProgressUpdate,
  type RolloutEnding,
  RolloutIdTakenError,
  type RolloutFacts,
  type RolloutLock,
  type RolloutPage,
  type RolloutQuery,
  type RolloutRecord,
  type RolloutStatus,
  STARTED_OUTSIDE_API,
  type StoredResponse,
} from '../core/registry.js';
import type { IdempotencyStore, RolloutRegistry } from '../ports.js';
import { ENV, REGISTRY_TABLE } from '../names.js';
import { toRolloutError } from './errors.js';

const LOCK_SK = 'LOCK';
const ROLLOUT_SK = 'ROLLOUT';
const IDEMPOTENCY_SK = 'IDEMPOTENCY';
const lockKey = (functionName: string, alias: string) => ({ pk: `LOCK#${aliasKey(functionName, alias)}`, sk: LOCK_SK });
const rolloutKey = (rolloutId: string) => ({ pk: `ROLLOUT#${rolloutId}`, sk: ROLLOUT_SK });
const idempotencyKey = (key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: IDEMPOTENCY_SK });
const statusKey = (status: RolloutStatus) => `STATUS#${status}`;
const startedKey = (f: Pick<RolloutFacts, 'startedAt' | 'rolloutId'>) => `${f.startedAt}#${f.rolloutId}`;

// Attributes only the table needs; records and locks are returned without them.
const INTERNAL = new Set(['pk', 'sk', 'type', 'aliasKey', 'gsi1pk', 'gsi2pk', 'gsi3pk', 'gsi4pk', 'startedKey', REGISTRY_TABLE.ttlAttribute]);

// Codes DynamoDB uses for rate limiting with HTTP 400, which `toRolloutError` would call a rejection.
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
// A transaction that met another one on the same item: retrying is the documented answer.
const CONFLICT = new Set(['TransactionConflictException', 'TransactionConflict', 'TransactionInProgressException']);

type Item = Record<string, unknown>;

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : '';
}

function isConditionFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/** A DynamoDB failure as a `core/errors.ts` class, with DynamoDB's own throttling codes recognised. */
export function registryError(error: unknown, context: string): Error {
  const name = errorName(error);
  const message = `${context}: ${error instanceof Error ? error.message : String(error)} (${name || 'unknown error'})`;
  if (THROTTLING.has(name)) return new ThrottledError(message, { cause: error });
  if (CONFLICT.has(name)) return new TransientError(message, { cause: error });
  return toRolloutError(error, context);
}

// Reads a string attribute from an item that may be in DynamoDB's wire form ({ S: "..." }):
// condition-failure items come back marshalled, since the document client does not unmarshall errors.
function stringOf(item: Item | undefined, name: string): string | undefined {
  const value = item?.[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { S?: unknown }).S === 'string') return (value as { S: string }).S;
  return undefined;
}

function lockFromItem(item: Item | undefined): RolloutLock | undefined {
  const rolloutId = stringOf(item, 'rolloutId');
  const executionArn = stringOf(item, 'executionArn');
  const functionName = stringOf(item, 'functionName');
  const alias = stringOf(item, 'alias');
  const status = stringOf(item, 'status');
  if (!rolloutId || !executionArn || !functionName || !alias || (status !== 'pending' && status !== 'running')) return undefined;
  return {
    functionName,
    alias,
    rolloutId,
    executionArn,
    status,
    baselineVersion: stringOf(item, 'baselineVersion'),
    targetVersion: stringOf(item, 'targetVersion') ?? '',
    startedBy: stringOf(item, 'startedBy') ?? '',
    startedAt: stringOf(item, 'startedAt') ?? '',
  };
}

function withoutInternals<T>(item: Item): T {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !INTERNAL.has(k) && k !== 'updatedAt' && k !== 'type')) as T;
}

function recordFromItem(item: Item): RolloutRecord {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !INTERNAL.has(k))) as unknown as RolloutRecord;
}

/** Builds SET clauses with a placeholder per attribute name (`#name`) and per value (`:name`). */
class Update {
  private readonly sets: string[] = [];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};

  /** `#name = :name`; skipped when the value is undefined (nothing to write). */
  set(name: string, value: unknown): this {
    if (value === undefined) return this;
    this.sets.push(`${this.name(name)} = ${this.value(name, value)}`);
    return this;
  }

  /** `#name = if_not_exists(#name, :name)`: the first writer's value wins. */
  setOnce(name: string, value: unknown): this {
    this.sets.push(`${this.name(name)} = if_not_exists(${this.name(name)}, ${this.value(name, value)})`);
    return this;
  }

  name(name: string): string {
    this.names[`#${name}`] = name;
    return `#${name}`;
  }

  value(name: string, value: unknown): string {
    this.values[`:${name}`] = value;
    return `:${name}`;
  }

  get expression(): string {
    return `SET ${this.sets.join(', ')}`;
  }
}

// The attributes every rollout write sets, so that whichever write comes first (the API's
// acquire, the workflow's acquire, a progress or an ending) leaves a complete, listable item.
function rolloutFacts(update: Update, facts: RolloutFacts): Update {
  return update
    .set('type', 'rollout')
    .set('rolloutId', facts.rolloutId)
    .set('executionArn', facts.executionArn)
    .set('gsi3pk', facts.executionArn)
    .set('functionName', facts.functionName)
    .set('alias', facts.alias)
    .set('aliasKey', aliasKey(facts.functionName, facts.alias))
    .set('gsi1pk', `FUNCTION#${functionNameOf(facts.functionName)}`)
    .set('gsi4pk', 'ROLLOUT')
    .set('targetVersion', facts.targetVersion)
    .set('baselineVersion', facts.baselineVersion)
    .set('strategy', facts.strategy)
    .setOnce('startedAt', facts.startedAt)
    .setOnce('startedKey', startedKey(facts));
}

/** Rollout and idempotency writes to an open record: a new one, or this execution's that has not ended (`mayWriteRecord`). */
const OPEN_RECORD_OF_EXECUTION = 'attribute_not_exists(#pk) OR (#executionArn = :executionArn AND attribute_not_exists(#endedAt))';

function encodeToken(key: Item): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

const TOKEN_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi2pk', 'gsi4pk', 'startedKey']);

function decodeToken(token: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      Object.entries(parsed).every(([k, v]) => TOKEN_ATTRIBUTES.has(k) && typeof v === 'string') &&
      'pk' in parsed &&
      'sk' in parsed
    ) {
      return parsed as Record<string, string>;
    }
  } catch {
    // fall through: not ours
  }
  throw new InvalidInputError([{ field: 'nextToken', rule: 'is not a token this API returned' }]);
}

/** DynamoDB reads a Query page of at most 1 MB; this many pages answer one list call at most. */
export const MAX_PAGES_PER_LIST = 10;

/** The registry and the idempotency keys in one DynamoDB table. Every failure is a `core/errors.ts` class. */
export class DynamoRolloutRegistry implements RolloutRegistry, IdempotencyStore {
  /** `tableName` may be a function, read at each call, so handlers load before their environment is checked. */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string | (() => string),
  ) {}

  private get tableName(): string {
    const name = typeof this.table === 'function' ? this.table() : this.table;
    if (!name) throw new RejectedError(`${ENV.tableName} is not set: the rollout registry needs its DynamoDB table name`);
    return name;
  }

  /**
   * One transaction: the lock item (free, or confirmed for the same rollout) and the rollout
   * record (new, or this rollout's open one). Either both are written or neither.
   */
  async acquire(request: LockRequest): Promise<RolloutLock> {
    const context = `TransactWriteItems acquire ${aliasKey(request.functionName, request.alias)} for ${request.rolloutId}`;
    const pending = request.status === 'pending';
    const lock = new Update()
      .set('type', 'lock')
      .set('functionName', request.functionName)
      .set('alias', request.alias)
      .set('rolloutId', request.rolloutId)
      .set('executionArn', request.executionArn)
      .set('status', request.status)
      .set('targetVersion', request.targetVersion)
      .set('baselineVersion', request.baselineVersion)
      .setOnce('startedBy', request.startedBy)
      .setOnce('startedAt', request.startedAt)
      .set('updatedAt', request.at);
    lock.name('pk');
    lock.value('pending', 'pending');
    const record = rolloutFacts(new Update(), request)
      .set('status', request.status)
      .set('gsi2pk', statusKey(request.status))
      .setOnce('startedBy', request.startedBy)
      .set('updatedAt', request.at);
    record.name('pk');
    record.value('pending', 'pending');
    if (!pending) record.value('running', 'running');
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: lockKey(request.functionName, request.alias),
                UpdateExpression: lock.expression,
                ConditionExpression: pending
                  ? 'attribute_not_exists(#pk) OR (#rolloutId = :rolloutId AND #status = :pending)'
                  : 'attribute_not_exists(#pk) OR (#rolloutId = :rolloutId AND (#status = :pending OR #executionArn = :executionArn))',
                ExpressionAttributeNames: lock.names,
                ExpressionAttributeValues: lock.values,
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: rolloutKey(request.rolloutId),
                UpdateExpression: record.expression,
                ConditionExpression: pending
                  ? 'attribute_not_exists(#pk) OR (#aliasKey = :aliasKey AND #status = :pending)'
                  : 'attribute_not_exists(#pk) OR (#aliasKey = :aliasKey AND (#status = :pending OR (#status = :running AND #executionArn = :executionArn)))',
                ExpressionAttributeNames: record.names,
                ExpressionAttributeValues: record.values,
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      );
    } catch (error) {
      throw await this.acquireFailure(error, request, context);
    }
    const written = await this.getLock(request.functionName, request.alias);
    if (!written) throw new TransientError(`${context}: the lock was written but is gone; it was released meanwhile`);
    return written;
  }

  // Names the holder from the item DynamoDB returned with the cancellation, or reads it.
  private async acquireFailure(error: unknown, request: LockRequest, context: string): Promise<Error> {
    if (errorName(error) !== 'TransactionCanceledException') return registryError(error, context);
    const reasons = (error as { CancellationReasons?: { Code?: string; Item?: Item }[] }).CancellationReasons ?? [];
    const [lockReason, recordReason] = reasons;
    if (lockReason?.Code === 'ConditionalCheckFailed') {
      const holder = lockFromItem(lockReason.Item) ?? (await this.getLock(request.functionName, request.alias));
      if (holder) return new LockHeldError(holder);
      return new TransientError(`${context}: the lock was held and released meanwhile; try again`, { cause: error });
    }
    if (recordReason?.Code === 'ConditionalCheckFailed') {
      const existing = recordReason.Item;
      const found =
        stringOf(existing, 'executionArn') !== undefined
          ? { rolloutId: request.rolloutId, executionArn: stringOf(existing, 'executionArn') as string, status: (stringOf(existing, 'status') ?? 'failed') as RolloutStatus }
          : await this.get(request.rolloutId);
      if (found) return new RolloutIdTakenError(found);
      return new TransientError(`${context}: the rollout record changed meanwhile; try again`, { cause: error });
    }
    const codes = reasons.map((r) => r.Code ?? 'None');
    if (codes.some((c) => THROTTLING.has(c))) return new ThrottledError(`${context}: throttled (${codes.join(', ')})`, { cause: error });
    if (codes.some((c) => CONFLICT.has(c))) return new TransientError(`${context}: conflicting transaction (${codes.join(', ')})`, { cause: error });
    return new RejectedError(`${context}: transaction cancelled (${codes.join(', ')})`, { cause: error });
  }

  /** DeleteItem conditioned on the holder: someone else's lock stays. */
  async release(lock: { functionName: string; alias: string; rolloutId: string; executionArn: string }): Promise<boolean> {
    const context = `DeleteItem lock ${aliasKey(lock.functionName, lock.alias)} of ${lock.rolloutId}`;
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: lockKey(lock.functionName, lock.alias),
          ConditionExpression: '#rolloutId = :rolloutId AND #executionArn = :executionArn',
          ExpressionAttributeNames: { '#rolloutId': 'rolloutId', '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':rolloutId': lock.rolloutId, ':executionArn': lock.executionArn },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw registryError(error, context);
    }
  }

  async getLock(functionName: string, alias: string): Promise<RolloutLock | undefined> {
    const item = await this.getItem(lockKey(functionName, alias), `GetItem lock ${aliasKey(functionName, alias)}`);
    return item ? withoutInternals<RolloutLock>(item) : undefined;
  }

  async recordProgress(update: ProgressUpdate): Promise<boolean> {
    const u = rolloutFacts(new Update(), update)
      .setOnce('status', 'running')
      .setOnce('gsi2pk', statusKey('running'))
      .setOnce('startedBy', STARTED_OUTSIDE_API)
      .set('progress', update.progress)
      .set('updatedAt', update.at);
    return this.updateOpenRecord(update, u, `UpdateItem progress of ${update.rolloutId}`);
  }

  async finish(ending: RolloutEnding): Promise<boolean> {
    const u = rolloutFacts(new Update(), ending)
      .set('status', ending.status)
      .set('gsi2pk', statusKey(ending.status))
      .setOnce('startedBy', STARTED_OUTSIDE_API)
      .set('progress', ending.progress)
      .set('reason', ending.reason)
      .set('finalVersion', ending.finalVersion)
      .set('endedAt', ending.endedAt)
      .set('updatedAt', ending.endedAt);
    return this.updateOpenRecord(ending, u, `UpdateItem ending of ${ending.rolloutId}`);
  }

  private async updateOpenRecord(facts: RolloutFacts, u: Update, context: string): Promise<boolean> {
    u.name('pk');
    u.name('endedAt');
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: rolloutKey(facts.rolloutId),
          UpdateExpression: u.expression,
          ConditionExpression: OPEN_RECORD_OF_EXECUTION,
          ExpressionAttributeNames: u.names,
          ExpressionAttributeValues: u.values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw registryError(error, context);
    }
  }

  async get(rolloutId: string): Promise<RolloutRecord | undefined> {
    const item = await this.getItem(rolloutKey(rolloutId), `GetItem rollout ${rolloutId}`);
    return item ? recordFromItem(item) : undefined;
  }

  async findByExecution(executionArn: string): Promise<RolloutRecord | undefined> {
    const context = `Query byExecution ${executionArn}`;
    try {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byExecution',
          KeyConditionExpression: '#gsi3pk = :executionArn',
          ExpressionAttributeNames: { '#gsi3pk': 'gsi3pk' },
          ExpressionAttributeValues: { ':executionArn': executionArn },
        }),
      );
      const item = out.Items?.[0];
      return item ? recordFromItem(item) : undefined;
    } catch (error) {
      throw registryError(error, context);
    }
  }

  /**
   * Queries the index that fits the filters, newest first, filtering the rest, until a page is
   * full. Reads one item past the page so that a token is given only when more items exist.
   */
  async list(query: RolloutQuery): Promise<RolloutPage> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const filters: string[] = [];
    let index: keyof typeof REGISTRY_TABLE.indexes;
    if (query.functionName !== undefined) {
      index = 'byFunction';
      names['#gsi1pk'] = 'gsi1pk';
      values[':pk'] = `FUNCTION#${functionNameOf(query.functionName)}`;
      if (query.alias !== undefined) {
        names['#alias'] = 'alias';
        values[':alias'] = query.alias;
        filters.push('#alias = :alias');
      }
      if (query.status !== undefined) {
        names['#status'] = 'status';
        values[':status'] = query.status;
        filters.push('#status = :status');
      }
    } else if (query.status !== undefined) {
      index = 'byStatus';
      names['#gsi2pk'] = 'gsi2pk';
      values[':pk'] = statusKey(query.status);
    } else {
      index = 'byStartTime';
      names['#gsi4pk'] = 'gsi4pk';
      values[':pk'] = 'ROLLOUT';
    }
    const partitionKey = REGISTRY_TABLE.indexes[index].partitionKey;
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined = query.nextToken === undefined ? undefined : decodeToken(query.nextToken);
    const context = `Query ${index}`;
    for (let page = 0; page < MAX_PAGES_PER_LIST && items.length <= query.limit; page += 1) {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: `#${partitionKey} = :pk`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.limit + 1 - items.length,
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      };
      let out;
      try {
        out = await this.client.send(new QueryCommand(input));
      } catch (error) {
        throw registryError(error, context);
      }
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    const pageItems = items.slice(0, query.limit);
    const last = pageItems.at(-1);
    const more = items.length > query.limit;
    // A full page: continue after its last item. A short page with DynamoDB still holding a key
    // (the page budget ran out while filtering): continue where DynamoDB stopped.
    const next = more && last ? { pk: last.pk, sk: last.sk, [partitionKey]: last[partitionKey], startedKey: last.startedKey } : !more && start ? start : undefined;
    return { items: pageItems.map(recordFromItem), ...(next ? { nextToken: encodeToken(next) } : {}) };
  }

  /** PutItem unless a live record holds the key; the holder is read back when one does. */
  async claim(key: string, fingerprint: string, now: number): Promise<IdempotencyRecord | undefined> {
    const context = `PutItem idempotency key ${key}`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const claim = newClaim(key, fingerprint, now);
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...idempotencyKey(key), type: 'idempotency', ...claim, [REGISTRY_TABLE.ttlAttribute]: Math.ceil(claim.expiresAt / 1000) },
            // Not live (see `isLive`): expired, or an in-progress claim whose request died.
            ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now OR (#status = :inProgress AND #inProgressUntil <= :now)',
            ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#status': 'status', '#inProgressUntil': 'inProgressUntil' },
            ExpressionAttributeValues: { ':now': now, ':inProgress': 'in_progress' },
          }),
        );
        return undefined;
      } catch (error) {
        if (!isConditionFailure(error)) throw registryError(error, context);
      }
      const existing = await this.getItem(idempotencyKey(key), `GetItem idempotency key ${key}`);
      const record = existing ? withoutInternals<IdempotencyRecord>(existing) : undefined;
      if (isLive(record, now)) return record;
      // The holder expired or was forgotten between our write and our read: claim again.
    }
    throw new TransientError(`${context}: the key changed hands twice while claiming it; try again`);
  }

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
      .set(REGISTRY_TABLE.ttlAttribute, Math.ceil(expiresAt / 1000));
    u.name('pk');
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: idempotencyKey(key),
          UpdateExpression: u.expression,
          ConditionExpression: 'attribute_not_exists(#pk) OR #fingerprint = :fingerprint',
          ExpressionAttributeNames: u.names,
          ExpressionAttributeValues: u.values,
        }),
      );
    } catch (error) {
      // Another request's key (a different fingerprint): not ours to overwrite.
      if (isConditionFailure(error)) return;
      throw registryError(error, `UpdateItem idempotency key ${key}`);
    }
  }

  async forget(key: string, fingerprint: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: idempotencyKey(key),
          ConditionExpression: '#status = :inProgress AND #fingerprint = :fingerprint',
          ExpressionAttributeNames: { '#status': 'status', '#fingerprint': 'fingerprint' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':fingerprint': fingerprint },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw registryError(error, `DeleteItem idempotency key ${key}`);
    }
  }

  private async getItem(key: { pk: string; sk: string }, context: string): Promise<Item | undefined> {
    try {
      const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      return out.Item;
    } catch (error) {
      throw registryError(error, context);
    }
  }
}
