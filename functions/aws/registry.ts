/**
 * The rollout registry in DynamoDB: the alias locks and the rollout records, in the registry table
 * (`dynamo-table.ts` describes its items and indexes). Conditional writes make the lock; the rules
 * they state are the pure functions of `core/registry.ts` (`mayTakeLock`, `mayOpenRecord`,
 * `mayWriteRecord`), which the in-memory twin (`sim/registry.ts`) applies directly. Both pass the
 * same behavioural suite.
 */
import { type DynamoDBDocumentClient, DeleteCommand, QueryCommand, type QueryCommandInput, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvalidInputError, TransientError } from '../core/errors.js';
import { functionNameOf } from '../core/function-ref.js';
import {
  aliasKey,
  type CheckUpdate,
  handOffAction,
  type HandOffRequest,
  type HandOver,
  handOverAction,
  LockHeldError,
  type LockRequest,
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
} from '../core/registry.js';
import type { RolloutRegistry } from '../ports.js';
import { REGISTRY_TABLE } from '../names.js';
import { cancellationError, conditionalWrite, conditionItem, errorName, type Item, itemKey, RegistryTable, tableCall, tableError, Update, withoutAttributes } from './dynamo-table.js';

const lockKey = (functionName: string, alias: string) => itemKey('LOCK', aliasKey(functionName, alias));
const rolloutKey = (rolloutId: string) => itemKey('ROLLOUT', rolloutId);
const statusKey = (status: RolloutStatus) => `STATUS#${status}`;
const startedKey = (f: Pick<RolloutFacts, 'startedAt' | 'rolloutId'>) => `${f.startedAt}#${f.rolloutId}`;

// Attributes only the table needs; records are returned without them, locks also without updatedAt.
const INTERNAL = new Set(['pk', 'sk', 'type', 'aliasKey', 'gsi1pk', 'gsi2pk', 'gsi3pk', 'gsi4pk', 'startedKey', REGISTRY_TABLE.ttlAttribute]);
const LOCK_INTERNAL = new Set([...INTERNAL, 'updatedAt']);

const stringOf = (item: Item | undefined, name: string): string | undefined => (typeof item?.[name] === 'string' ? item[name] : undefined);

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

const recordFromItem = (item: Item): RolloutRecord => withoutAttributes<RolloutRecord>(item, INTERNAL);

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

/** Progress and ending writes go to an open record: a new one, or this execution's that has not ended (`mayWriteRecord`). */
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

/** The rollout registry in the registry table. Every failure is a `core/errors.ts` class. */
export class DynamoRolloutRegistry implements RolloutRegistry {
  private readonly table: RegistryTable;

  /** `table` may be a function, read at each call, so handlers load before their environment is checked. */
  constructor(client: DynamoDBDocumentClient, table: string | (() => string)) {
    this.table = new RegistryTable(client, table);
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
    // The execution's own acquire marks the record: the guard acts only for an execution that took the lock.
    if (!pending) record.setOnce('lockedAt', request.at);
    record.name('pk');
    record.value('pending', 'pending');
    if (!pending) record.value('running', 'running');
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            this.table.transactUpdate(
              lockKey(request.functionName, request.alias),
              lock,
              pending
                ? 'attribute_not_exists(#pk) OR (#rolloutId = :rolloutId AND #status = :pending)'
                : 'attribute_not_exists(#pk) OR (#rolloutId = :rolloutId AND (#status = :pending OR #executionArn = :executionArn))',
              true,
            ),
            this.table.transactUpdate(
              rolloutKey(request.rolloutId),
              record,
              pending
                ? 'attribute_not_exists(#pk) OR (#aliasKey = :aliasKey AND #status = :pending)'
                : 'attribute_not_exists(#pk) OR (#aliasKey = :aliasKey AND (#status = :pending OR (#status = :running AND #executionArn = :executionArn)))',
              true,
            ),
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
    if (errorName(error) !== 'TransactionCanceledException') return tableError(error, context);
    const reasons = (error as { CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[] }).CancellationReasons ?? [];
    const [lockReason, recordReason] = reasons;
    if (lockReason?.Code === 'ConditionalCheckFailed') {
      const holder = lockFromItem(conditionItem(lockReason.Item)) ?? (await this.getLock(request.functionName, request.alias));
      if (holder) return new LockHeldError(holder);
      return new TransientError(`${context}: the lock was held and released meanwhile; try again`, { cause: error });
    }
    if (recordReason?.Code === 'ConditionalCheckFailed') {
      const existing = conditionItem(recordReason.Item);
      const found =
        stringOf(existing, 'executionArn') !== undefined
          ? { rolloutId: request.rolloutId, executionArn: stringOf(existing, 'executionArn') as string, status: (stringOf(existing, 'status') ?? 'failed') as RolloutStatus }
          : await this.get(request.rolloutId);
      if (found) return new RolloutIdTakenError(found);
      return new TransientError(`${context}: the rollout record changed meanwhile; try again`, { cause: error });
    }
    return cancellationError(
      reasons.map((r) => r.Code ?? 'None'),
      context,
      error,
    );
  }

  /** DeleteItem conditioned on the holder: someone else's lock stays. */
  async release(lock: { functionName: string; alias: string; rolloutId: string; executionArn: string }): Promise<boolean> {
    return conditionalWrite(`DeleteItem lock ${aliasKey(lock.functionName, lock.alias)} of ${lock.rolloutId}`, () =>
      this.table.client.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: lockKey(lock.functionName, lock.alias),
          ConditionExpression: '#rolloutId = :rolloutId AND #executionArn = :executionArn',
          ExpressionAttributeNames: { '#rolloutId': 'rolloutId', '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':rolloutId': lock.rolloutId, ':executionArn': lock.executionArn },
        }),
      ),
    );
  }

  async getLock(functionName: string, alias: string): Promise<RolloutLock | undefined> {
    const item = await this.table.getItem(lockKey(functionName, alias), `GetItem lock ${aliasKey(functionName, alias)}`);
    return item ? withoutAttributes<RolloutLock>(item, LOCK_INTERNAL) : undefined;
  }

  async recordProgress(update: ProgressUpdate): Promise<boolean> {
    return this.writeRunning(update, 'progress', update.progress, `UpdateItem progress of ${update.rolloutId}`);
  }

  async recordCheck(update: CheckUpdate): Promise<boolean> {
    return this.writeRunning(update, 'lastCheck', update.check, `UpdateItem last check of ${update.rolloutId}`);
  }

  /** Sets `field` on the open record of a running rollout (a record started outside the API is opened here). */
  private async writeRunning(update: ProgressUpdate | CheckUpdate, field: 'progress' | 'lastCheck', value: unknown, context: string): Promise<boolean> {
    const u = rolloutFacts(new Update(), update)
      .setOnce('status', 'running')
      .setOnce('gsi2pk', statusKey('running'))
      .setOnce('startedBy', STARTED_OUTSIDE_API)
      .set(field, value)
      .set('updatedAt', update.at);
    return this.updateOpenRecord(update, u, context);
  }

  /**
   * UpdateItem of the lock conditioned on its holder, this rollout's execution: sets `handOff`.
   * When the condition fails, the lock says whether the continuation holds it already (`handOffAction`).
   */
  async recordHandOff(request: HandOffRequest): Promise<boolean> {
    const lock = new Update().set('handOff', { to: request.handOff.to, digest: request.handOff.digest }).set('updatedAt', request.at);
    lock.value('rolloutId', request.rolloutId);
    lock.value('executionArn', request.executionArn);
    lock.name('rolloutId');
    lock.name('executionArn');
    const recorded = await conditionalWrite(`UpdateItem hand-off of ${aliasKey(request.functionName, request.alias)} for ${request.rolloutId}`, () =>
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: lockKey(request.functionName, request.alias),
          UpdateExpression: lock.expression,
          ConditionExpression: '#rolloutId = :rolloutId AND #executionArn = :executionArn',
          ExpressionAttributeNames: lock.names,
          ExpressionAttributeValues: lock.values,
        }),
      ),
    );
    return recorded || handOffAction(await this.getLock(request.functionName, request.alias), request) === 'moved';
  }

  /**
   * One transaction: the lock item, held by the rollout's `from` execution with a hand-off to `to`
   * and this input's digest, and its open record both move to `to` (the record's execution index
   * key with it); the hand-off is removed. When a condition fails, the lock says whether an
   * earlier hand-over already moved them (`handOverAction`).
   */
  async handOver(request: HandOver): Promise<boolean> {
    const context = `TransactWriteItems hand over ${aliasKey(request.functionName, request.alias)} of ${request.rolloutId} to ${request.to}`;
    const lock = new Update().set('executionArn', request.to).set('updatedAt', request.at).remove('handOff');
    lock.value('rolloutId', request.rolloutId);
    lock.value('from', request.from);
    lock.value('handOff', { to: request.to, digest: request.digest });
    lock.name('rolloutId');
    const record = new Update().set('executionArn', request.to).set('gsi3pk', request.to).set('updatedAt', request.at);
    record.value('from', request.from);
    record.name('endedAt');
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            this.table.transactUpdate(lockKey(request.functionName, request.alias), lock, '#rolloutId = :rolloutId AND #executionArn = :from AND #handOff = :handOff'),
            this.table.transactUpdate(rolloutKey(request.rolloutId), record, '#executionArn = :from AND attribute_not_exists(#endedAt)'),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) !== 'TransactionCanceledException') throw tableError(error, context);
      const codes = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      if (!codes.includes('ConditionalCheckFailed')) throw cancellationError(codes, context, error);
      return handOverAction(await this.getLock(request.functionName, request.alias), request) === 'moved';
    }
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
    return conditionalWrite(context, () =>
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: rolloutKey(facts.rolloutId),
          UpdateExpression: u.expression,
          ConditionExpression: OPEN_RECORD_OF_EXECUTION,
          ExpressionAttributeNames: u.names,
          ExpressionAttributeValues: u.values,
        }),
      ),
    );
  }

  async get(rolloutId: string): Promise<RolloutRecord | undefined> {
    const item = await this.table.getItem(rolloutKey(rolloutId), `GetItem rollout ${rolloutId}`);
    return item ? recordFromItem(item) : undefined;
  }

  async findByExecution(executionArn: string): Promise<RolloutRecord | undefined> {
    const out = await tableCall(`Query byExecution ${executionArn}`, () =>
      this.table.client.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: 'byExecution',
          KeyConditionExpression: '#gsi3pk = :executionArn',
          ExpressionAttributeNames: { '#gsi3pk': 'gsi3pk' },
          ExpressionAttributeValues: { ':executionArn': executionArn },
        }),
      ),
    );
    const item = out.Items?.[0];
    return item ? recordFromItem(item) : undefined;
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
        TableName: this.table.name,
        IndexName: index,
        KeyConditionExpression: `#${partitionKey} = :pk`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.limit + 1 - items.length,
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      };
      const out = await tableCall(context, () => this.table.client.send(new QueryCommand(input)));
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
}
