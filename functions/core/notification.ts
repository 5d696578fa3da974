/**
 * Rollout notifications: a readable subject, a JSON body with the facts, and message attributes
 * that SNS subscription filter policies can match (eventType, functionName, alias).
 */
import * as z from 'zod';
import { functionNameOf } from './function-ref.js';
import { describeRouting } from './lambda-model.js';
import { causeMessage } from './errors.js';
import { type CaughtError, factsOf, positionOf, type RolloutState } from './state.js';

/**
 * Lifecycle events. `verdict`: a health check's result; `held`: a step held for more evidence;
 * `aborted`: the execution was stopped and the guard put the alias back (or found it whole).
 */
export const EVENT_TYPES = ['started', 'shifted', 'promoted', 'rolled_back', 'refused', 'drift', 'failed', 'verdict', 'held', 'aborted'] as const;
export type RolloutEventType = (typeof EVENT_TYPES)[number];

/** SNS allows 10 message attributes; three are ours, a few are kept for later. */
export const MAX_CUSTOM_ATTRIBUTES = 5;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const RESERVED_ATTRIBUTES = ['eventType', 'functionName', 'alias', 'outcome', 'rolloutId'];

export const NotificationOptionsSchema = z
  .strictObject({
    /**
     * Which events to publish to people (SNS). Default: all of them. The workflow announces a
     * step's verdict once, when the step ends, and a hold when it starts, not every check in
     * between. An empty list publishes none.
     */
    events: z
      .array(z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }), {
        error: 'must be a list of event types',
      })
      .optional(),
    /** Extra message attributes (e.g. team), for subscription filter policies. */
    attributes: z
      .record(
        z.string().regex(ATTRIBUTE_NAME, { error: 'names must be 1-64 letters, digits, "_" or "-"' }).refine(
          (k) => !RESERVED_ATTRIBUTES.includes(k),
          { error: `names must not be one of ours (${RESERVED_ATTRIBUTES.join(', ')})` },
        ),
        z.string({ error: 'values must be strings' }).min(1, { error: 'values must not be empty' }).max(256, {
          error: 'values must be at most 256 characters',
        }),
        { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object of string attributes' : undefined) },
      )
      .refine((a) => Object.keys(a).length <= MAX_CUSTOM_ATTRIBUTES, {
        error: `at most ${MAX_CUSTOM_ATTRIBUTES} attributes`,
      })
      .optional(),
  })
  .prefault({});

export type NotificationOptions = z.output<typeof NotificationOptionsSchema>;

export interface Notification {
  readonly type: RolloutEventType;
  /** ASCII, one line, at most 100 characters (SNS's limits for e-mail subjects). */
  readonly subject: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, string>>;
}

/** True when the options ask for this event (every event by default). */
export function wants(options: NotificationOptions | undefined, type: RolloutEventType): boolean {
  return !options?.events || options.events.includes(type);
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
  }
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
 * function and alias are read from it only when they are strings.
 */
export function refusalNotification(
  input: unknown,
  error: CaughtError,
  now: number,
  type: 'refused' | 'failed' = 'refused',
): Notification {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const str = (...keys: string[]) => keys.map((k) => raw[k]).find((v): v is string => typeof v === 'string');
  const fn = str('functionName', 'function-name');
  const alias = str('alias', 'alias-name');
  const target = raw.targetVersion ?? raw['new-version'];
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
      targetVersion: typeof target === 'string' || typeof target === 'number' ? String(target) : null,
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
