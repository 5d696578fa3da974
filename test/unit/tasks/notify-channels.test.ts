/**
 * Notify on every channel: what SNS subscribers, EventBridge rules and the registry each get,
 * and that a failing channel never stops the others.
 */
import { describe, expect, it } from 'vitest';
import { ErrorName, RejectedError, ThrottledError } from '../../../functions/core/errors.js';
import type { Notification } from '../../../functions/core/notification.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { makeNotify } from '../../../functions/tasks/notify.js';
import type { EventPublisher } from '../../../functions/ports.js';
import { RecordingNotifier } from '../../../sim/notifier.js';
import { InMemoryRolloutRegistry } from '../../../sim/registry.js';
import { ending, lockRequest, runningState, T0 } from '../support/rollouts.js';

class RecordingEvents implements EventPublisher {
  readonly published: Notification[] = [];
  async publish(n: Notification): Promise<void> {
    this.published.push(n);
  }
}

const failing = (error: Error) => ({
  publish: async () => {
    throw error;
  },
});

const clock = { now: () => T0 + 180_000 };

async function world(state: RolloutState = runningState()) {
  const registry = new InMemoryRolloutRegistry();
  await registry.acquire(lockRequest(state.rollout.id, { executionArn: state.rollout.executionArn }));
  return { registry, notifier: new RecordingNotifier(), events: new RecordingEvents() };
}

const checked = (): RolloutState => {
  const s = runningState({ cursor: { next: 'hold', reason: 'too few target requests: 40 of 100' } });
  const last = s.history.at(-1);
  return { ...s, history: [...s.history.slice(0, -1), { ...(last as NonNullable<typeof last>), checks: 1, verdict: 'inconclusive', reason: 'too few target requests: 40 of 100', target: { invocations: 40, errors: 0 }, baseline: { invocations: 400, errors: 1 } }] };
};

describe('Notify on every channel', () => {
  it('sends the same event to SNS and EventBridge and records the progress in the registry', async () => {
    const w = await world();
    const result = await makeNotify({ ...w, clock })({ event: 'shifted', state: runningState() });
    expect(result).toEqual({
      published: true,
      type: 'shifted',
      subject: 'lambda-rollout orders:live v8 shifted to 30%',
      channels: { sns: 'delivered', eventBridge: 'delivered', registry: 'delivered' },
      failed: [],
    });
    const [sns] = w.notifier.published;
    expect(sns?.attributes).toEqual({ eventType: 'shifted', functionName: 'orders', alias: 'live', rolloutId: runningState().rollout.id, team: 'payments' });
    expect(w.events.published[0]?.body).toEqual(sns?.body);
    expect(sns?.body).toMatchObject({ executionArn: runningState().rollout.executionArn, step: 3, steps: 9, weightPercent: 30, routing: 'v7 70% + v8 30%' });
    expect((await w.registry.get(runningState().rollout.id))?.progress).toMatchObject({
      currentStep: 3,
      totalSteps: 9,
      weightPercent: 30,
      lastEvent: { type: 'shifted', at: new Date(T0 + 180_000).toISOString() },
      steps: [{ verdict: 'healthy', target: { invocations: 300, errors: 0 } }, { verdict: 'healthy', target: { invocations: 600, errors: 1 } }, { weightPercent: 30, revisionId: 'r3' }],
    });
  });

  it('says what a check found (verdict) and why a step is held (held), with the numbers', async () => {
    const asked = { ...checked(), rollout: { ...checked().rollout, notifications: { events: ['verdict' as const, 'held' as const] } } };
    const w = await world(asked);
    await makeNotify({ ...w, clock })({ event: 'verdict', state: asked });
    await makeNotify({ ...w, clock })({ event: 'held', state: asked });
    expect(w.notifier.subjects).toEqual([
      'lambda-rollout orders:live v8 at 30%: inconclusive (too few target requests: 40 of 100)',
      'lambda-rollout orders:live v8 held at 30% for more evidence: too few target requests: 40 of 100',
    ]);
    expect(w.events.published[0]?.body).toMatchObject({ type: 'verdict', lastCheck: { verdict: 'inconclusive', target: { invocations: 40, errors: 0 }, baseline: { invocations: 400, errors: 1 } } });
    expect((await w.registry.get(checked().rollout.id))?.progress?.lastEvent.type).toBe('held');
  });

  it('sends a step verdict on every channel; a rollout that leaves it out of its events keeps it off SNS only', async () => {
    const w = await world(checked());
    const result = await makeNotify({ ...w, clock })({ event: 'verdict', state: checked() });
    expect(result.channels).toEqual({ sns: 'delivered', eventBridge: 'delivered', registry: 'delivered' });
    expect(w.notifier.published.map((n) => n.type)).toEqual(['verdict']);
    const quiet = { ...checked(), rollout: { ...checked().rollout, notifications: { events: ['rolled_back' as const] } } };
    const skipped = await makeNotify({ ...w, clock })({ event: 'verdict', state: quiet });
    expect(skipped.channels).toEqual({ sns: 'skipped', eventBridge: 'delivered', registry: 'delivered' });
    expect((await w.registry.get(checked().rollout.id))?.progress?.steps.at(-1)).toMatchObject({ verdict: 'inconclusive', target: { invocations: 40, errors: 0 } });
  });

  it('adds the outcome attribute once the rollout has ended, for subscription filters', async () => {
    const w = await world();
    const ended: RolloutState = { ...runningState(), outcome: { status: 'rolled_back', reason: 'errors 5x the baseline', at: new Date(T0).toISOString(), finalVersion: '7' } };
    await makeNotify({ ...w, clock })({ event: 'rolled_back', state: ended });
    expect(w.notifier.published[0]?.attributes).toMatchObject({ eventType: 'rolled_back', functionName: 'orders', alias: 'live', outcome: 'rolled_back' });
  });

  it.each([
    ['sns', 'notifier'],
    ['eventBridge', 'events'],
  ] as const)('keeps going when %s fails, and reports it', async (channel, port) => {
    const w = await world();
    const result = await makeNotify({ ...w, [port]: failing(new RejectedError('AccessDenied')), clock })({ event: 'shifted', state: runningState() });
    expect(result.published).toBe(true);
    expect(result.failed).toEqual([channel]);
    expect(result.channels?.[channel]).toBe('failed');
    expect(result.channels?.registry).toBe('delivered');
    const other = channel === 'sns' ? w.events.published : w.notifier.published;
    expect(other).toHaveLength(1);
  });

  it('keeps going when the registry fails', async () => {
    const w = await world();
    const registry = { recordProgress: async () => Promise.reject(new ThrottledError('Rate exceeded')) };
    const result = await makeNotify({ ...w, registry, clock })({ event: 'shifted', state: runningState() });
    expect(result).toMatchObject({ published: true, failed: ['registry'], channels: { sns: 'delivered', eventBridge: 'delivered', registry: 'failed' } });
  });

  it('throws only when every channel failed, with a retryable error that names each failure', async () => {
    const w = await world();
    const error = await makeNotify({
      notifier: failing(new RejectedError('sns said no')),
      events: failing(new ThrottledError('eventbridge is busy')),
      registry: { recordProgress: async () => Promise.reject(new RejectedError('dynamodb said no')) },
      clock,
    })({ event: 'shifted', state: runningState() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: ErrorName.Throttled });
    expect((error as Error).message).toBe('every notification channel failed: sns: sns said no; eventBridge: eventbridge is busy; registry: dynamodb said no');
    expect(w.notifier.published).toEqual([]);
  });

  it("leaves SNS out for events the rollout did not ask for, but still tells EventBridge and the registry", async () => {
    const w = await world();
    const quiet = { ...runningState(), rollout: { ...runningState().rollout, notifications: { events: ['rolled_back' as const] } } };
    const result = await makeNotify({ ...w, clock })({ event: 'shifted', state: quiet });
    expect(result.channels).toEqual({ sns: 'skipped', eventBridge: 'delivered', registry: 'delivered' });
    expect(w.notifier.published).toEqual([]);
    expect(w.events.published).toHaveLength(1);
  });

  it('records nothing for a refusal before the start, and nothing once the record has ended', async () => {
    const w = await world();
    const refused = await makeNotify({ ...w, clock })({ event: 'refused', input: { functionName: 'orders', alias: 'live', targetVersion: '9' }, error: { Error: 'RolloutRefused', Cause: 'version 9 is not published' } });
    expect(refused.channels).toEqual({ sns: 'delivered', eventBridge: 'delivered', registry: 'skipped' });
    await w.registry.finish(ending(runningState().rollout.id, { executionArn: runningState().rollout.executionArn }));
    const late = await makeNotify({ ...w, clock })({ event: 'shifted', state: runningState() });
    expect(late.channels?.registry).toBe('skipped');
    expect((await w.registry.get(runningState().rollout.id))?.status).toBe('promoted');
  });
});
