/**
 * What a rollout can announce (its lifecycle events) and how a caller chooses: which events reach
 * people, and extra message attributes for SNS subscription filter policies. Part of the rollout
 * input and state; the notifications themselves are built in `notification.ts`.
 */
import * as z from 'zod';

/**
 * Lifecycle events. `verdict`: a health check's result; `held`: a step held for more evidence;
 * `aborted`: the execution was stopped and the guard put the alias back (or found it whole);
 * `gate`: the rollout waits at an approval gate (with the routes to approve or reject); `paused`:
 * a pause took hold.
 */
export const EVENT_TYPES = ['started', 'shifted', 'promoted', 'rolled_back', 'refused', 'drift', 'failed', 'verdict', 'held', 'aborted', 'gate', 'paused'] as const;
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

/** True when the options ask for this event (every event by default). */
export function wants(options: NotificationOptions | undefined, type: RolloutEventType): boolean {
  return !options?.events || options.events.includes(type);
}
