/**
 * Every notification the service sends, built here and nowhere else: a readable subject, a JSON
 * body with the facts, and message attributes that SNS subscription filter policies can match
 * (eventType, functionName, alias...). Events of a running or finished rollout, refusals before a
 * rollout started, endings the guard reads from a record, and artifacts that started nothing.
 * This module reads the state, registry and artifact types; none of them imports it.
 */
import { describeRouting } from './alias.js';
import type { ArtifactRefusal } from './artifact.js';
import { causeMessage } from './errors.js';
import { functionNameOf } from './function-ref.js';
import { rolloutNamed } from './input.js';
import type { RolloutEventType } from './notification-options.js';
import type { EndedStatus, RolloutRecord } from './registry.js';
import { type CaughtError, factsOf, positionOf, type RolloutState } from './state.js';

// The adapters name the event type beside the notification.
export type { RolloutEventType } from './notification-options.js';

export interface Notification {
  readonly type: RolloutEventType;
  /** ASCII, one line, at most 100 characters (SNS's limits for e-mail subjects). */
  readonly subject: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Makes a string a valid SNS subject: printable ASCII, one line, 100 characters at most. */
export function toSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7E]/g, ' ').replace(/\s+/g, ' ').trim();
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

function headline(type: RolloutEventType, state: RolloutState): string {
  const { cursor, outcome } = state;
  switch (type) {
    case 'started':
      return `started (${state.rollout.plan.strategy})`;
    case 'shifted':
      return `shifted to ${cursor.weightPercent}%`;
    case 'promoted':
      return 'promoted to 100%';
    case 'rolled_back':
      return `rolled back: ${outcome?.reason ?? cursor.reason ?? 'unknown reason'}`;
    case 'drift':
      return 'stopped: the alias was changed by someone else';
    case 'refused':
      return `refused: ${causeMessage(state.error?.Cause)}`;
    case 'failed':
      return `failed: ${state.error?.Error ?? 'unknown error'} ${causeMessage(state.error?.Cause)}`;
    case 'verdict': {
      const last = state.history.at(-1);
      return `at ${last?.weightPercent ?? cursor.weightPercent}%: ${last?.verdict ?? 'not checked'}${last?.reason ? ` (${last.reason})` : ''}`;
    }
    case 'held':
      return `held at ${cursor.weightPercent}% for more evidence${cursor.reason ? `: ${cursor.reason}` : ''}`;
    case 'aborted':
      return `aborted: ${outcome?.reason ?? 'the execution was stopped'}`;
    case 'gate':
      return `waits at gate ${cursor.gate?.id ?? '?'} for approval, at ${cursor.weightPercent}%`;
    case 'paused':
      return `paused at ${positionOf(state).weightPercent}%${cursor.reason ? `: ${cursor.reason}` : ''}`;
  }
}

/**
 * What to call to decide a gate (the API routes, relative to the API's URL), and until when.
 *
 * @example gateActions(state) // { gate: 'step-2', timesOutAt: '...', onTimeout: 'rollback', approve: 'POST /rollouts/r1/approve', reject: 'POST /rollouts/r1/reject' }
 */
export function gateActions(state: RolloutState) {
  const gate = state.cursor.gate;
  if (!gate) return undefined;
  const route = (verb: string) => `POST /rollouts/${encodeURIComponent(state.rollout.id)}/${verb}`;
  return { gate: gate.id, openedAt: gate.openedAt, timesOutAt: gate.timesOutAt, onTimeout: gate.onTimeout, approve: route('approve'), reject: route('reject') };
}

/**
 * The notification for an event of a running or finished rollout.
 *
 * @example notificationFor('shifted', state, now).subject // 'lambda-rollout orders:live v8 shifted to 10%'
 */
export function notificationFor(type: RolloutEventType, state: RolloutState, now: number): Notification {
  const r = state.rollout;
  const last = state.history.at(-1);
  const position = positionOf(state);
  return {
    type,
    subject: toSubject(`lambda-rollout ${functionNameOf(r.functionName)}:${r.alias} v${r.targetVersion} ${headline(type, state)}`),
    body: {
      type,
      at: new Date(now).toISOString(),
      ...factsOf(state),
      step: position.currentStep,
      steps: position.totalSteps,
      weightPercent: position.weightPercent,
      routing: describeRouting(state.alias),
      ...(last?.verdict ? { lastCheck: { verdict: last.verdict, reason: last.reason, target: last.target, baseline: last.baseline, observedSplitPercent: last.observedSplitPercent } } : {}),
      ...(state.outcome ? { outcome: state.outcome.status, reason: state.outcome.reason } : {}),
      ...(state.error ? { error: state.error.Error, cause: state.error.Cause } : {}),
      ...(type === 'gate' ? { waitingFor: gateActions(state) } : {}),
      ...(type === 'paused' ? { resume: `POST /rollouts/${encodeURIComponent(r.id)}/resume` } : {}),
      ...(type === 'started' && state.eventSources ? { eventSources: state.eventSources } : {}),
      ...(type === 'started' && state.concurrency ? { provisionedConcurrency: state.concurrency } : {}),
      ...(state.notes?.length ? { notes: state.notes } : {}),
    },
    attributes: {
      ...r.notifications.attributes,
      eventType: type,
      functionName: functionNameOf(r.functionName),
      alias: r.alias,
      rolloutId: r.id,
      // Lets subscribers filter on how a rollout ended (e.g. only rolled_back) without parsing the body.
      ...(state.outcome ? { outcome: state.outcome.status } : {}),
    },
  };
}

/**
 * The notification for a rollout refused before it started. The input may be invalid, so the
 * function and alias are read from it only when they are strings; a continuation's input is a
 * rollout state, read from its `rollout`.
 */
export function refusalNotification(
  input: unknown,
  error: CaughtError,
  now: number,
  type: 'refused' | 'failed' = 'refused',
): Notification {
  const given = input as { readonly rollout?: unknown } | null | undefined;
  const { functionName: fn, alias, targetVersion: target } = rolloutNamed(typeof given?.rollout === 'object' && given.rollout !== null ? given.rollout : input);
  const why = causeMessage(error.Cause) || error.Error;
  return {
    type,
    subject: toSubject(
      `lambda-rollout ${fn ? functionNameOf(fn) : 'unknown function'}${alias ? `:${alias}` : ''} ${type === 'refused' ? 'refused' : 'could not start'}: ${why}`,
    ),
    body: {
      type,
      at: new Date(now).toISOString(),
      functionName: fn ?? null,
      alias: alias ?? null,
      targetVersion: target ?? null,
      error: error.Error,
      reason: why,
    },
    attributes: {
      eventType: type,
      ...(fn ? { functionName: functionNameOf(fn) } : {}),
      ...(alias ? { alias } : {}),
    },
  };
}

/**
 * A notification built from a rollout's record, for the guard when the execution stopped before
 * any rollout state existed (e.g. aborted during Prepare).
 *
 * @example recordNotification('aborted', record, 'aborted', 'execution aborted: wrong version; no traffic had moved', now).subject
 *   // 'lambda-rollout orders:live v8 aborted: execution aborted: wrong version; no traffic had moved'
 */
export function recordNotification(type: 'aborted' | 'failed', record: RolloutRecord, status: EndedStatus, reason: string, now: number): Notification {
  const fn = functionNameOf(record.functionName);
  return {
    type,
    subject: toSubject(`lambda-rollout ${fn}:${record.alias} v${record.targetVersion} ${type}: ${reason}`),
    body: {
      type,
      at: new Date(now).toISOString(),
      rolloutId: record.rolloutId,
      executionArn: record.executionArn,
      functionName: record.functionName,
      alias: record.alias,
      baselineVersion: record.baselineVersion ?? null,
      targetVersion: record.targetVersion,
      outcome: status,
      reason,
    },
    attributes: { eventType: type, functionName: fn, alias: record.alias, rolloutId: record.rolloutId, outcome: status },
  };
}

/**
 * The notification for an artifact that started nothing: a `refused` event naming the object and the rule.
 *
 * @example artifactRefusalNotification({ bucket: 'b', key: 'releases/x.zip', reason: 'why' }, 0).subject
 *   // 'lambda-rollout artifact releases/x.zip started nothing: why'
 */
export function artifactRefusalNotification(refusal: ArtifactRefusal, now: number): Notification {
  // The reason matters more than the key (which is in the body): the subject keeps 100 characters only.
  const target = refusal.functionName ? `${refusal.functionName}${refusal.alias ? `:${refusal.alias}` : ''} artifact` : `artifact ${refusal.key}`;
  return {
    type: 'refused',
    subject: toSubject(`lambda-rollout ${target} started nothing: ${refusal.reason}`),
    body: {
      type: 'refused',
      at: new Date(now).toISOString(),
      source: 'artifact',
      bucket: refusal.bucket,
      key: refusal.key,
      versionId: refusal.versionId ?? null,
      functionName: refusal.functionName ?? null,
      alias: refusal.alias ?? null,
      reason: refusal.reason,
    },
    attributes: {
      eventType: 'refused',
      ...(refusal.functionName ? { functionName: refusal.functionName } : {}),
      ...(refusal.alias ? { alias: refusal.alias } : {}),
    },
  };
}
