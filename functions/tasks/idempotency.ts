/**
 * `Idempotency-Key` for API routes: a wrapper the route never sees. A retry with the same key and
 * the same request answers with the first answer (`Idempotent-Replayed: true`) instead of acting
 * twice; the same key with another request answers 422; while the first request is still in
 * progress, 409 with `Retry-After`. Keys are per caller and kept 24 hours (`core/registry.ts`).
 *
 * Why not `@aws-lambda-powertools/idempotency` (makeIdempotent over its DynamoDB persistence
 * layer, which could share the registry table with `sortKeyAttr`/`staticPkValue`): it cannot keep
 * these semantics cleanly.
 * - It stores every answer the function returns. Only a start is remembered here: a refusal
 *   (409, the alias is busy) may well succeed when retried later, so a route would have to throw
 *   its refusals through the wrapper and have them turned back into answers outside it.
 * - It fails the request when the store fails after the function ran (saving the answer, or
 *   deleting the claim after an error, which then replaces the error): the caller would get a 500
 *   for a rollout that did start. Here the start's answer stands and the store failure is logged;
 *   a retry after the claim lapses meets the rollout's lock (409), never a second start.
 * - Its in-progress window is the Lambda's remaining time (without a registered context, a dead
 *   request's claim holds the key for the whole 24 hours), read from its own `Date.now()`. Ours is
 *   a fixed minute (`IN_PROGRESS_MS`) on the injected clock, which the behavioural suite of both
 *   stores (in memory and DynamoDB) holds to.
 */
import { canonicalJson, parseIdempotencyKey, replayResponse, type ApiResponse } from '../core/api.js';
import type { Clock, IdempotencyStore } from '../ports.js';
import { sha256Hex } from '../sha256.js';
import { logger } from '../logger.js';
import type { ApiRequest } from './http-api.js';

/**
 * The route, answering a request with an `Idempotency-Key` at most once: a successful (2xx) answer
 * is stored and replayed; a failure or refusal is forgotten, so a retry is handled afresh.
 */
export function idempotent<A extends unknown[]>(
  store: IdempotencyStore,
  clock: Clock,
  route: (request: ApiRequest, ...rest: A) => Promise<ApiResponse>,
): (request: ApiRequest, ...rest: A) => Promise<ApiResponse> {
  return async function idempotentRoute(request, ...rest) {
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    if (key === undefined) return route(request, ...rest);

    // Keys are per caller, so one caller's key never answers another's request.
    const stored = sha256Hex(`${request.caller}\n${key}`);
    const fingerprint = sha256Hex(canonicalJson(request.body));
    const existing = await store.claim(stored, fingerprint, clock.now());
    if (existing) return replayResponse(existing, fingerprint);
    let response: ApiResponse;
    try {
      response = await route(request, ...rest);
    } catch (error) {
      await store.forget(stored, fingerprint).catch((e: unknown) => logger.warn('could not forget the idempotency key', { error: e as Error }));
      throw error;
    }
    try {
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await store.complete(stored, fingerprint, { statusCode: response.statusCode, body: response.body }, clock.now());
      } else {
        await store.forget(stored, fingerprint);
      }
    } catch (error) {
      // The route acted; a retry after the claim lapses is refused by what it did (the start's lock: 409), never done twice.
      logger.error('could not store the answer for the idempotency key', { error: error as Error });
    }
    return response;
  };
}
