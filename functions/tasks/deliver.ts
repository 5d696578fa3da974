/**
 * Delivery of one notification on every wired channel: SNS for people, EventBridge for machines,
 * and the registry as the rollout's progress. Shared by Notify and the guard, so their events
 * reach the same channels. Channels are independent and best effort: one failing never stops the
 * others, and the report says which failed.
 */
import { TRANSIENT_ERRORS } from '../core/errors.js';
import type { Notification } from '../core/notification.js';
import type { ProgressUpdate } from '../core/registry.js';
import type { EventPublisher, Notifier, RolloutRegistry } from '../ports.js';
import { logger } from '../logger.js';

export type ChannelName = 'sns' | 'eventBridge' | 'registry';
/** delivered; skipped (not wanted, or nothing to record); failed (the error was logged). */
export type ChannelResult = 'delivered' | 'skipped' | 'failed';

/**
 * The channels a notification goes out on. `events` and `registry` are optional so the rehearsal
 * and older wirings run with SNS alone; on AWS all three are wired.
 */
export interface Channels {
  readonly notifier: Notifier;
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

/** Sends a notification on every wired channel at once, each on its own. Never throws: failures are reported. */
export async function deliver(ports: Channels, delivery: Delivery): Promise<DeliveryReport> {
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
