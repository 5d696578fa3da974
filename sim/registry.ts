/**
 * The rollout registry and the API's idempotency keys in memory: the twins of
 * `functions/aws/registry.ts` and `functions/aws/idempotency-store.ts`, held to the same behavioural
 * test suite. The rules (who may take a lock, who may write a record, when a key still answers) are
 * the pure functions of `functions/core/registry.ts`; the DynamoDB adapters state them as condition
 * expressions. Records are copied in and out, so callers never share mutable state with them.
 */
import { InvalidInputError } from '../functions/core/errors.js';
import {
  aliasKey,
  type CheckUpdate,
  handOffAction,
  type HandOffRequest,
  type HandOver,
  handOverAction,
  type IdempotencyRecord,
  isLive,
  LockHeldError,
  type LockRequest,
  mayOpenRecord,
  mayTakeLock,
  mayWriteRecord,
  newClaim,
  IDEMPOTENCY_TTL_MS,
  type ProgressUpdate,
  type RolloutEnding,
  RolloutIdTakenError,
  type RolloutLock,
  type RolloutPage,
  type RolloutQuery,
  type RolloutRecord,
  STARTED_OUTSIDE_API,
  type StoredResponse,
} from '../functions/core/registry.js';
import { functionNameOf } from '../functions/core/function-ref.js';
import type { IdempotencyStore, RolloutRegistry } from '../functions/ports.js';

const copy = <T>(value: T): T => structuredClone(value);
const sortKey = (r: Pick<RolloutRecord, 'startedAt' | 'rolloutId'>) => `${r.startedAt}#${r.rolloutId}`;

function encodeToken(sk: string): string {
  return Buffer.from(JSON.stringify({ after: sk }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { after?: unknown }).after === 'string') {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through: not ours
  }
  throw new InvalidInputError([{ field: 'nextToken', rule: 'is not a token this API returned' }]);
}

/** Alias locks and rollout records in memory. */
export class InMemoryRolloutRegistry implements RolloutRegistry {
  private readonly locks = new Map<string, RolloutLock>();
  private readonly records = new Map<string, RolloutRecord>();

  async acquire(request: LockRequest): Promise<RolloutLock> {
    const key = aliasKey(request.functionName, request.alias);
    const holder = this.locks.get(key);
    if (!mayTakeLock(holder, request)) throw new LockHeldError(copy(holder as RolloutLock));
    const record = this.records.get(request.rolloutId);
    if (!mayOpenRecord(record, request)) throw new RolloutIdTakenError(copy(record as RolloutRecord));

    const lock: RolloutLock = {
      functionName: request.functionName,
      alias: request.alias,
      rolloutId: request.rolloutId,
      executionArn: request.executionArn,
      status: request.status,
      baselineVersion: request.baselineVersion ?? holder?.baselineVersion,
      targetVersion: request.targetVersion,
      startedBy: holder?.startedBy ?? request.startedBy,
      startedAt: holder?.startedAt ?? request.startedAt,
      // As DynamoDB's update keeps it: only the execution that recorded a hand-off can take its lock again.
      ...(holder?.handOff ? { handOff: holder.handOff } : {}),
    };
    this.locks.set(key, lock);
    this.records.set(request.rolloutId, {
      ...record,
      ...this.facts(request, record),
      status: request.status,
      startedBy: record?.startedBy ?? request.startedBy,
      ...(request.status === 'running' ? { lockedAt: record?.lockedAt ?? request.at } : {}),
      updatedAt: request.at,
    });
    return copy(lock);
  }

  async release(lock: { functionName: string; alias: string; rolloutId: string; executionArn: string }): Promise<boolean> {
    const key = aliasKey(lock.functionName, lock.alias);
    const holder = this.locks.get(key);
    if (!holder || holder.rolloutId !== lock.rolloutId || holder.executionArn !== lock.executionArn) return false;
    this.locks.delete(key);
    return true;
  }

  async getLock(functionName: string, alias: string): Promise<RolloutLock | undefined> {
    const lock = this.locks.get(aliasKey(functionName, alias));
    return lock && copy(lock);
  }

  async recordProgress(update: ProgressUpdate): Promise<boolean> {
    return this.writeRunning(update, { progress: copy(update.progress) });
  }

  async recordCheck(update: CheckUpdate): Promise<boolean> {
    // Built for this write and never changed afterwards; `get` copies the record on the way out.
    return this.writeRunning(update, { lastCheck: update.check });
  }

  /** Writes `fields` on the record of a running rollout, if the update's execution may write it. */
  private writeRunning(update: ProgressUpdate | CheckUpdate, fields: Partial<RolloutRecord>): boolean {
    const record = this.records.get(update.rolloutId);
    if (!mayWriteRecord(record, update.executionArn)) return false;
    this.records.set(update.rolloutId, {
      ...record,
      ...this.facts(update, record),
      status: record?.status ?? 'running',
      startedBy: record?.startedBy ?? STARTED_OUTSIDE_API,
      ...fields,
      updatedAt: update.at,
    });
    return true;
  }

  async recordHandOff(request: HandOffRequest): Promise<boolean> {
    const key = aliasKey(request.functionName, request.alias);
    const holder = this.locks.get(key);
    const action = handOffAction(holder, request);
    if (action === 'record' && holder) this.locks.set(key, { ...holder, handOff: copy(request.handOff) });
    return action !== 'refuse';
  }

  async handOver(request: HandOver): Promise<boolean> {
    const key = aliasKey(request.functionName, request.alias);
    const holder = this.locks.get(key);
    const action = handOverAction(holder, request);
    if (action !== 'move' || !holder) return action === 'moved';
    // Both move or neither: a record that ended meanwhile (the guard ends it before it frees the lock) stops the hand-over.
    const record = this.records.get(request.rolloutId);
    if (!record || !mayWriteRecord(record, request.from)) return false;
    const { handOff: _, ...lock } = holder;
    this.locks.set(key, { ...lock, executionArn: request.to });
    this.records.set(request.rolloutId, { ...record, executionArn: request.to, updatedAt: request.at });
    return true;
  }

  async finish(ending: RolloutEnding): Promise<boolean> {
    const record = this.records.get(ending.rolloutId);
    if (!mayWriteRecord(record, ending.executionArn)) return false;
    this.records.set(ending.rolloutId, {
      ...record,
      ...this.facts(ending, record),
      status: ending.status,
      startedBy: record?.startedBy ?? STARTED_OUTSIDE_API,
      ...(ending.progress ? { progress: copy(ending.progress) } : {}),
      reason: ending.reason,
      ...(ending.finalVersion !== undefined ? { finalVersion: ending.finalVersion } : {}),
      endedAt: ending.endedAt,
      updatedAt: ending.endedAt,
    });
    return true;
  }

  async get(rolloutId: string): Promise<RolloutRecord | undefined> {
    const record = this.records.get(rolloutId);
    return record && copy(record);
  }

  async findByExecution(executionArn: string): Promise<RolloutRecord | undefined> {
    const record = [...this.records.values()].find((r) => r.executionArn === executionArn);
    return record && copy(record);
  }

  async list(query: RolloutQuery): Promise<RolloutPage> {
    const after = query.nextToken === undefined ? undefined : decodeToken(query.nextToken);
    const fn = query.functionName === undefined ? undefined : functionNameOf(query.functionName);
    const matching = [...this.records.values()]
      .filter((r) => fn === undefined || functionNameOf(r.functionName) === fn)
      .filter((r) => query.alias === undefined || r.alias === query.alias)
      .filter((r) => query.status === undefined || r.status === query.status)
      .sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0))
      .filter((r) => after === undefined || sortKey(r) < after);
    const items = matching.slice(0, query.limit);
    const last = items.at(-1);
    return { items: items.map(copy), ...(matching.length > query.limit && last ? { nextToken: encodeToken(sortKey(last)) } : {}) };
  }

  /** Every record, newest first: for the rehearsal report and tests. */
  get allRecords(): RolloutRecord[] {
    return [...this.records.values()].sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : -1)).map(copy);
  }

  // The facts a write sets. Facts from the first write win where a later writer knows less
  // (the workflow's AcquireLock does not know the API's startedAt; Prepare knows the baseline).
  private facts(next: LockRequest | ProgressUpdate | CheckUpdate | RolloutEnding, record: RolloutRecord | undefined) {
    return {
      rolloutId: next.rolloutId,
      executionArn: next.executionArn,
      functionName: next.functionName,
      alias: next.alias,
      baselineVersion: next.baselineVersion ?? record?.baselineVersion,
      targetVersion: next.targetVersion,
      strategy: next.strategy ?? record?.strategy,
      startedAt: record?.startedAt ?? next.startedAt,
    };
  }
}

/** The API's idempotency keys in memory. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly keys = new Map<string, IdempotencyRecord>();

  async claim(key: string, fingerprint: string, now: number): Promise<IdempotencyRecord | undefined> {
    const existing = this.keys.get(key);
    if (isLive(existing, now)) return copy(existing);
    this.keys.set(key, newClaim(key, fingerprint, now));
    return undefined;
  }

  async complete(key: string, fingerprint: string, response: StoredResponse, now: number): Promise<void> {
    const existing = this.keys.get(key);
    if (existing && existing.fingerprint !== fingerprint) return;
    this.keys.set(key, {
      key,
      fingerprint,
      status: 'completed',
      response: copy(response),
      createdAt: existing?.createdAt ?? now,
      expiresAt: now + IDEMPOTENCY_TTL_MS,
      inProgressUntil: existing?.inProgressUntil ?? now,
    });
  }

  async forget(key: string, fingerprint: string): Promise<void> {
    const existing = this.keys.get(key);
    if (existing?.status === 'in_progress' && existing.fingerprint === fingerprint) this.keys.delete(key);
  }
}
