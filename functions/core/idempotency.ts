/**
 * The API's idempotency records: what the registry table remembers of one `Idempotency-Key`, so a
 * retried request gets the first answer again, and when a claim or an answer stops counting.
 */

/** How long the API remembers an `Idempotency-Key`'s first answer. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long a claimed key counts as "in progress". API Gateway gives up on an integration after
 * 29 s, so a claim older than this belongs to a request that died: a retry may take it over.
 */
export const IN_PROGRESS_MS = 60 * 1000;

/** An HTTP answer kept for replay. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly body: unknown;
}

/** What the registry remembers of one `Idempotency-Key`. */
export interface IdempotencyRecord {
  readonly key: string;
  /** A hash of the request, so the same key with another request is told apart. */
  readonly fingerprint: string;
  readonly status: 'in_progress' | 'completed';
  readonly response?: StoredResponse | undefined;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms; DynamoDB's TTL deletes the item some time after (its `ttl` is in epoch seconds). */
  readonly expiresAt: number;
  /** Epoch ms: until when an in-progress claim blocks others. */
  readonly inProgressUntil: number;
}

/**
 * Whether a stored record still answers for its key: not expired (DynamoDB deletes expired items
 * only eventually, so reads must check), and either completed or claimed by a live request.
 */
export function isLive(record: IdempotencyRecord | undefined, now: number): record is IdempotencyRecord {
  if (!record || record.expiresAt <= now) return false;
  return record.status === 'completed' || record.inProgressUntil > now;
}

/** A fresh in-progress claim of `key`. */
export function newClaim(key: string, fingerprint: string, now: number): IdempotencyRecord {
  return { key, fingerprint, status: 'in_progress', createdAt: now, expiresAt: now + IDEMPOTENCY_TTL_MS, inProgressUntil: now + IN_PROGRESS_MS };
}
