/**
 * Notify: publishes one rollout event on every channel: SNS for people, EventBridge for
 * machines, and the registry as the rollout's progress. Channels are independent and best
 * effort: one failing never stops the others, the result says which failed, and Notify throws
 * only when every channel it tried failed (so the workflow's Retry applies). The workflow never
 * fails or rolls back because of it.
 */
import { isRefusal, TRANSIENT_ERRORS } from '../core/errors.js';
import { type Notification, type RolloutEventType, notificationFor, refusalNotification, wants } from '../core/notification.js';
import { lastEventType, type ProgressUpdate, progressUpdateFor } from '../core/registry.js';
import { asRolloutState, type CaughtError } from '../core/state.js';
import type { Clock, EventPublisher, Notifier, RolloutRegistry } from '../ports.js';
import { logger } from '../logger.js';

/** An event of a rollout, or a refusal told from the execution's input and the error. */
type TypedEvent =
  | { readonly event: RolloutEventType; readonly state: unknown }
  | { readonly event: 'refused'; readonly input: unknown; readonly error: CaughtError };

/**
 * What Notify receives: an event the workflow names, or how a rollout ended (`ending`: the
 * workflow's last state, with the execution's input, which names the function even when the
 * rollout was refused before it had a state). The workflow's one ending path sends the latter.
 */
export type NotifyEvent = TypedEvent | { readonly ending: unknown; readonly input: unknown };

export type ChannelName = 'sns' | 'eventBridge' | 'registry';
/** delivered; skipped (not wanted, or nothing to record); failed (the error was logged). */
export type ChannelResult = 'delivered' | 'skipped' | 'failed';

export interface NotifyResult {
  /** Whether the event reached at least one channel. */
  readonly published: boolean;
  readonly type: RolloutEventType;
  readonly subject?: string;
  /** How each channel fared; present when more channels than SNS are wired. */
  readonly channels?: Readonly<Partial<Record<ChannelName, ChannelResult>>>;
  /** The channels that failed; present with `channels`. */
  readonly failed?: readonly ChannelName[];
}

/**
 * Notify's ports. `events` and `registry` are optional so the rehearsal and older wirings run
 * with SNS alone; on AWS all three are wired.
 */
export interface NotifyPorts {
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly events?: EventPublisher | undefined;
  readonly registry?: Pick<RolloutRegistry, 'recordProgress'> | undefined;
}

/** What to send where: SNS gets it only when the rollout asked for the event. */
export interface Delivery {
  readonly notification: Notification;
  /** False when the rollout's `notifications.events` leaves this event out (SNS is for people). */
  readonly toSns: boolean;
  /** The progress to record, when the event belongs to a rollout. */
  readonly progress?: ProgressUpdate | undefined;
}

export interface DeliveryReport {
  readonly channels: Partial<Record<ChannelName, ChannelResult>>;
  readonly failed: ChannelName[];
  readonly errors: Partial<Record<ChannelName, unknown>>;
}

function isRetryable(error: unknown): boolean {
  return error instanceof Error && TRANSIENT_ERRORS.includes(error.name);
}

/**
 * Sends a notification on every wired channel at once, each on its own. Never throws: failures
 * are reported. Shared with the guard, so its events reach the same channels.
 */
export async function deliver(ports: Omit<NotifyPorts, 'clock'>, delivery: Delivery): Promise<DeliveryReport> {
  const { notification, progress } = delivery;
  const runs: [ChannelName, () => Promise<boolean>][] = [
    ['sns', async () => (delivery.toSns ? (await ports.notifier.publish(notification), true) : false)],
  ];
  const { events, registry } = ports;
  if (events) runs.push(['eventBridge', async () => (await events.publish(notification), true)]);
  if (registry) runs.push(['registry', async () => (progress ? registry.recordProgress(progress) : false)]);

  const settled = await Promise.allSettled(runs.map(([, run]) => run()));
  const report: DeliveryReport = { channels: {}, failed: [], errors: {} };
  settled.forEach((outcome, i) => {
    const name = (runs[i] as [ChannelName, unknown])[0];
    if (outcome.status === 'fulfilled') {
      report.channels[name] = outcome.value ? 'delivered' : 'skipped';
      return;
    }
    report.channels[name] = 'failed';
    report.failed.push(name);
    report.errors[name] = outcome.reason;
    logger.warn('notification channel failed', { channel: name, type: notification.type, error: outcome.reason as Error });
  });
  return report;
}

/**
 * The error to throw when every channel tried failed: a retryable one when there is one (so the
 * workflow's Retry applies), its message naming every channel's failure.
 */
export function allFailedError(report: DeliveryReport): Error {
  const errors = report.failed.map((name) => [name, report.errors[name]] as const);
  const chosen = (errors.find(([, e]) => isRetryable(e)) ?? errors[0])?.[1];
  const summary = errors.map(([name, e]) => `${name}: ${e instanceof Error ? e.message : String(e)}`).join('; ');
  const error = chosen instanceof Error ? chosen : new Error(String(chosen));
  error.message = `every notification channel failed: ${summary}`;
  return error;
}

/**
 * The event an ending is told as: a refusal (before or after the rollout had a state, told from
 * the input as ever), or the event the state ended with (its outcome; `failed` after an error).
 */
function typed(event: NotifyEvent): TypedEvent {
  if (!('ending' in event)) return event;
  const refusal = (event.ending as { refusal?: CaughtError } | null)?.refusal;
  if (refusal) return { event: 'refused', input: event.input, error: refusal };
  const state = asRolloutState(event.ending);
  return { event: lastEventType(state), state };
}

/** Notify over its ports. */
export function makeNotify(ports: NotifyPorts) {
  const { clock } = ports;
  const several = ports.events !== undefined || ports.registry !== undefined;
  return async function notify(received: NotifyEvent): Promise<NotifyResult> {
    const event = typed(received);
    const now = clock.now();
    let delivery: Delivery;
    if ('state' in event) {
      const state = asRolloutState(event.state);
      delivery = {
        notification: notificationFor(event.event, state, now),
        toSns: wants(state.rollout.notifications, event.event),
        progress: progressUpdateFor(event.event, state, now),
      };
    } else {
      const refused = isRefusal(event.error.Error);
      delivery = { notification: refusalNotification(event.input, event.error, now, refused ? 'refused' : 'failed'), toSns: true };
    }
    const { notification } = delivery;
    if (!several && !delivery.toSns) return { published: false, type: notification.type };

    const report = await deliver(ports, delivery);
    const tried = Object.values(report.channels).filter((c) => c !== 'skipped').length;
    if (tried > 0 && report.failed.length === tried) throw allFailedError(report);
    const published = Object.values(report.channels).includes('delivered');
    const subject = published ? { subject: notification.subject } : {};
    if (!several) return { published, type: notification.type, ...subject };
    return { published, type: notification.type, ...subject, channels: report.channels, failed: report.failed };
  };
}
