/**
 * Rollout control records in memory: the twin of `functions/aws/control-store.ts`, held to the same
 * behavioural suite. A write lands only on the version it was made from.
 */
import type { RolloutControl } from '../functions/core/control.js';
import type { ControlStore } from '../functions/ports.js';

export class InMemoryControlStore implements ControlStore {
  private readonly records = new Map<string, RolloutControl>();

  async get(rolloutId: string): Promise<RolloutControl | undefined> {
    const control = this.records.get(rolloutId);
    return control && structuredClone(control);
  }

  async put(control: RolloutControl): Promise<boolean> {
    const stored = this.records.get(control.rolloutId);
    if ((stored?.version ?? 0) !== control.version - 1) return false;
    // Like the document client, a key set to undefined is not stored.
    this.records.set(control.rolloutId, JSON.parse(JSON.stringify(control)) as RolloutControl);
    return true;
  }
}
