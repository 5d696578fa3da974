/** Notify: publishes one rollout event. The workflow never fails or rolls back because of it. */
import { ErrorName } from '../core/errors.js';
import { type Notification, type RolloutEventType, notificationFor, refusalNotification, wants } from '../core/notification.js';
import { asRolloutState, type CaughtError } from '../core/state.js';
import type { Clock, Notifier } from '../ports.js';
import { awsPorts } from '../aws/index.js';
import { lambdaHandler } from './middleware.js';

export type NotifyEvent =
  | { readonly event: RolloutEventType; readonly state: unknown }
  | { readonly event: 'refused'; readonly input: unknown; readonly error: CaughtError };

export interface NotifyResult {
  readonly published: boolean;
  readonly type: RolloutEventType;
  readonly subject?: string;
}

/** Notify over its ports. */
export function makeNotify({ notifier, clock }: { notifier: Notifier; clock: Clock }) {
  return async function notify(event: NotifyEvent): Promise<NotifyResult> {
    let notification: Notification;
    if ('state' in event) {
      const state = asRolloutState(event.state);
      if (!wants(state.rollout.notifications, event.event)) return { published: false, type: event.event };
      notification = notificationFor(event.event, state, clock.now());
    } else {
      const refused = event.error.Error === ErrorName.Refused || event.error.Error === ErrorName.InvalidInput;
      notification = refusalNotification(event.input, event.error, clock.now(), refused ? 'refused' : 'failed');
    }
    await notifier.publish(notification);
    return { published: true, type: notification.type, subject: notification.subject };
  };
}

export const handler = lambdaHandler(makeNotify(awsPorts()));
