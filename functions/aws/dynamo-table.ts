/**
 * The registry table, shared by its adapters: the rollout registry (`registry.ts`: alias locks
 * and rollout records), the API's idempotency keys (`idempotency-store.ts`) and the rollouts'
 * control records (`control-store.ts`). Here live what both
 * need: item keys, the table named from the environment, DynamoDB's failures as `core/errors.ts`
 * classes, the update-expression builder and the reader of items returned with a failed condition.
 *
 * ## Table (on-demand, point-in-time recovery, encrypted; keys and indexes in `REGISTRY_TABLE`)
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
 * | rollout | `ROLLOUT#<rolloutId>` | `ROLLOUT` | the `RolloutRecord` (status, progress with every step's weight, RevisionId, verdict and numbers, the latest check with every signal, reason, finalVersion, timestamps) plus the GSI keys below; at most about 150 KB, within DynamoDB's 400 KB |
 * | idempotency key | `IDEMPOTENCY#<key>` | `IDEMPOTENCY` | fingerprint, status, response, createdAt, expiresAt, inProgressUntil, ttl |
 * | control | `CONTROL#<rolloutId>` | `CONTROL` | the `RolloutControl` (`core/control.ts`): version, the open gate, decisions by gate, pause, promote, the holding loop's task token, updatedAt |
 *
 * `<function>` is the bare function name, so a name and an ARN of the same function share one lock.
 *
 * Global secondary indexes (projection ALL; only rollout items carry their keys):
 *
 * | index | partition key | sort key | answers |
 * | --- | --- | --- | --- |
 * | `byFunction` | `gsi1pk` = `FUNCTION#<function>` (S) | `startedKey` = `<startedAt>#<rolloutId>` (S) | rollouts of a function (alias and status filtered) |
 * | `byStatus` | `gsi2pk` = `STATUS#<status>` (S) | `startedKey` (S) | rollouts by status, e.g. everything running |
 * | `byExecution` | `gsi3pk` = the execution ARN (S), moved with the record when a long rollout continues in a new execution | none | the rollout of an execution (the guard) |
 * | `byStartTime` | `gsi4pk` = `ROLLOUT` (S) | `startedKey` (S) | every rollout, newest first |
 *
 * Permissions: GetItem, PutItem, UpdateItem, DeleteItem, Query (table and `index/*`); the
 * registry's transaction needs no extra action beyond UpdateItem on both items.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { RejectedError, ThrottledError, TransientError } from '../core/errors.js';
import { ENV } from '../names.js';
import { toRolloutError } from './errors.js';

export type Item = Record<string, unknown>;

/** What the table holds; an item of each kind is keyed `pk = <KIND>#<id>`, `sk = <KIND>`. */
export type ItemKind = 'LOCK' | 'ROLLOUT' | 'IDEMPOTENCY' | 'CONTROL';

/** The key of one item. */
export function itemKey(kind: ItemKind, id: string): { pk: string; sk: string } {
  return { pk: `${kind}#${id}`, sk: kind };
}

// Codes DynamoDB uses for rate limiting with HTTP 400, which `toRolloutError` would call a rejection.
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
// A transaction that met another one on the same item: retrying is the documented answer.
const CONFLICT = new Set(['TransactionConflictException', 'TransactionConflict', 'TransactionInProgressException']);

/** The `name` of whatever was thrown, or ''. */
export function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : '';
}

/** A DynamoDB failure as a `core/errors.ts` class, with DynamoDB's own throttling codes recognised. */
export function tableError(error: unknown, context: string): Error {
  const name = errorName(error);
  const message = `${context}: ${error instanceof Error ? error.message : String(error)} (${name || 'unknown error'})`;
  if (THROTTLING.has(name)) return new ThrottledError(message, { cause: error });
  if (CONFLICT.has(name)) return new TransientError(message, { cause: error });
  return toRolloutError(error, context);
}

/** A cancelled transaction whose reasons name no failed condition: throttled, conflicting, or refused. */
export function cancellationError(codes: readonly string[], context: string, cause: unknown): Error {
  if (codes.some((c) => THROTTLING.has(c))) return new ThrottledError(`${context}: throttled (${codes.join(', ')})`, { cause });
  if (codes.some((c) => CONFLICT.has(c))) return new TransientError(`${context}: conflicting transaction (${codes.join(', ')})`, { cause });
  return new RejectedError(`${context}: transaction cancelled (${codes.join(', ')})`, { cause });
}

/** Runs one DynamoDB call, its failure mapped with `tableError`. */
export async function tableCall<T>(context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw tableError(error, context);
  }
}

/** Runs one conditional write: true when it was written, false when its condition failed. */
export async function conditionalWrite(context: string, write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (errorName(error) === 'ConditionalCheckFailedException') return false;
    throw tableError(error, context);
  }
}

/**
 * The item DynamoDB returns with a failed condition (`ReturnValuesOnConditionCheckFailure`), as
 * plain values: the document client leaves an error's items in DynamoDB's wire form.
 */
export function conditionItem(item: Record<string, AttributeValue> | undefined): Item | undefined {
  return item ? unmarshall(item) : undefined;
}

/** The item without the attributes only the table needs. */
export function withoutAttributes<T>(item: Item, names: ReadonlySet<string>): T {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !names.has(k))) as T;
}

/** Builds SET (and REMOVE) clauses with a placeholder per attribute name (`#name`) and per value (`:name`). */
export class Update {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
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

  /** `REMOVE #name`: the attribute goes. */
  remove(name: string): this {
    this.removes.push(this.name(name));
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
    return `SET ${this.sets.join(', ')}${this.removes.length > 0 ? ` REMOVE ${this.removes.join(', ')}` : ''}`;
  }
}

/** The registry table through a document client. Every failure is a `core/errors.ts` class. */
export class RegistryTable {
  /** `table` may be a function, read at each call, so handlers load before their environment is checked. */
  constructor(
    readonly client: DynamoDBDocumentClient,
    private readonly table: string | (() => string),
  ) {}

  get name(): string {
    const name = typeof this.table === 'function' ? this.table() : this.table;
    if (!name) throw new RejectedError(`${ENV.tableName} is not set: the rollout registry needs its DynamoDB table name`);
    return name;
  }

  /**
   * One conditional Update of a TransactWriteItems call on this table; `returnOld` asks for the
   * item as it was when the condition failed (read back with `conditionItem`).
   */
  transactUpdate(key: { pk: string; sk: string }, update: Update, condition: string, returnOld = false) {
    return {
      Update: {
        TableName: this.name,
        Key: key,
        UpdateExpression: update.expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
        ...(returnOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
      },
    };
  }

  /** GetItem, consistently read: a lock or a key must be seen as last written. */
  async getItem(key: { pk: string; sk: string }, context: string): Promise<Item | undefined> {
    const out = await tableCall(context, () => this.client.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true })));
    return out.Item;
  }
}
