/**
 * Notify: publishes one rollout event on every channel: SNS for people, EventBridge for
 * machines, and the registry as the rollout's progress. Channels are independent and best
 * effort: one failing never stops the others, the result says which failed, and Notify throws
 * only when every channel it tried failed (so the workflow's Retry applies). The workflow never
 * fails or rolls back because of it. A start and every ending the workflow announces are also
 * counted in the service's metrics, before any channel is tried, so that no channel's outage loses
 * them (a retry after every channel failed counts them again).
 */
import { isRefusal } from '../core/errors.js';
import { type Notification, notificationFor, refusalNotification } from '../core/notification.js';
import { type RolloutEventType, wants } from '../core/notification-options.js';
import { ENDED_STATUSES, type EndedStatus, lastEventType, progressUpdateFor } from '../core/registry.js';
import { endingMetrics, type MetricEmission, startedMetrics } from '../core/service-metrics.js';
import { asRolloutState, type CaughtError, type RolloutState } from '../core/state.js';
import type { Clock, ServiceMetrics } from '../ports.js';
import { allFailedError, type ChannelName, type ChannelResult, type Channels, deliver, type Delivery } from './deliver.js';

/** Notify's ports: the channels, the clock for the event's time, and the service's metrics. */
export interface NotifyPorts extends Channels {
  readonly clock: Clock;
  readonly serviceMetrics?: ServiceMetrics | undefined;
}

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

const isEndedStatus = (type: string): type is EndedStatus => (ENDED_STATUSES as readonly string[]).includes(type);

/** What Notify counts: a rollout that started, or how one ended (NotifyEnding). */
function metricsOf(received: NotifyEvent, notification: Notification, state: RolloutState | undefined): MetricEmission | undefined {
  if ('ending' in received) return isEndedStatus(notification.type) ? endingMetrics(notification.type, notification.attributes.functionName, state) : undefined;
  return notification.type === 'started' && state ? startedMetrics(state) : undefined;
}

/** Notify over its ports. */
export function makeNotify(ports: NotifyPorts) {
  const { clock } = ports;
  const several = ports.events !== undefined || ports.registry !== undefined;
  return async function notify(received: NotifyEvent): Promise<NotifyResult> {
    const event = typed(received);
    const now = clock.now();
    let delivery: Delivery;
    let state: RolloutState | undefined;
    if ('state' in event) {
      state = asRolloutState(event.state);
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
    const counted = metricsOf(received, notification, state);
    if (counted) ports.serviceMetrics?.emit(counted);
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
