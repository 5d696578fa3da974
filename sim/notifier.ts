/** A notifier that keeps what was published, with the virtual time it was published at. */
import type { Notification } from '../functions/core/notification.js';
import type { Notifier } from '../functions/ports.js';

export class RecordingNotifier implements Notifier {
  readonly published: (Notification & { readonly at: number })[] = [];
  async publish(notification: Notification): Promise<void> {
    this.published.push({ ...notification, at: Date.now() });
  }
  get subjects(): string[] {
    return this.published.map((n) => n.subject);
  }
}
