/**
 * AwaitControl: the holding loop's wait for a person (a gate's decision, the end of a pause). A
 * `.waitForTaskToken` state calls it with the task token, which it stores in the rollout's control
 * record, so the API can wake the wait the moment a decision arrives; the state's timeout is the
 * next check, so checks go on while it waits. A decision that arrived after the check that led here
 * ends the wait at once (ControlChangedError), so it is never missed.
 */
import { controlChangedSince, type RolloutControl, emptyControl } from '../core/control.js';
import { ControlChangedError, TransientError } from '../core/errors.js';
import { asRolloutState } from '../core/state.js';
import type { Clock, ControlStore } from '../ports.js';

export interface AwaitControlEvent {
  readonly token: string;
  /** The rollout state the check left: its cursor says what the rollout waits for. */
  readonly state: unknown;
}

/** How often a write that met another one is tried again. */
const ATTEMPTS = 3;

/** AwaitControl over its ports. */
export function makeAwaitControl({ controls, clock }: { controls: ControlStore; clock: Clock }) {
  return async function awaitControl(event: AwaitControlEvent): Promise<{ stored: true }> {
    const { rollout, cursor } = asRolloutState(event.state);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const now = clock.now();
      const control: RolloutControl = (await controls.get(rollout.id)) ?? emptyControl(rollout.id, rollout.executionArn, now);
      const changed = controlChangedSince(control, cursor);
      if (changed) throw new ControlChangedError(`${changed}: checking again now`);
      const next = { ...control, waitToken: event.token, version: control.version + 1, updatedAt: new Date(now).toISOString() };
      if (await controls.put(next)) return { stored: true };
    }
    throw new TransientError(`the control record of rollout ${rollout.id} kept changing while the wait's token was stored`);
  };
}
