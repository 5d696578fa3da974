import { describe, expect, it } from 'vitest';
import { makeNotify } from '../../../functions/tasks/notify.js';
import { makePrepare } from '../../../functions/tasks/prepare.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { RecordingNotifier, fixedClock, ordersWorld, preparePorts } from '../../support/fakes.js';

/** What was published, without the recorder's wall-clock stamp (two publications may straddle a millisecond). */
const withoutTimes = (notifier: RecordingNotifier) => notifier.published.map(({ at: _at, ...n }) => n);

async function state(notifications?: object): Promise<RolloutState> {
  return (await makePrepare(preparePorts(ordersWorld()))({
    input: { functionName: 'orders', alias: 'live', targetVersion: '2', ...(notifications ? { notifications } : {}) },
    execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:r1', name: 'r1', startTime: '2026-01-05T10:00:00.000Z' },
  })) as RolloutState;
}

describe('Notify', () => {
  it('publishes the event for a running rollout', async () => {
    const notifier = new RecordingNotifier();
    const result = await makeNotify({ notifier, clock: fixedClock() })({ event: 'started', state: await state() });
    expect(result).toEqual({ published: true, type: 'started', subject: 'lambda-rollout orders:live v2 started (Canary10Percent5Minutes)' });
    expect(notifier.published[0]?.attributes).toMatchObject({ eventType: 'started', functionName: 'orders', alias: 'live' });
  });

  it('skips the events the rollout did not ask for', async () => {
    const notifier = new RecordingNotifier();
    const result = await makeNotify({ notifier, clock: fixedClock() })({ event: 'shifted', state: await state({ events: ['rolled_back'] }) });
    expect(result.published).toBe(false);
    expect(notifier.published).toEqual([]);
  });

  it('publishes a refusal from the raw input and the error', async () => {
    const notifier = new RecordingNotifier();
    await makeNotify({ notifier, clock: fixedClock() })({
      event: 'refused',
      input: { functionName: 'orders', alias: 'live', targetVersion: '9' },
      error: { Error: 'RolloutRefused', Cause: 'version 9 of function orders is not published' },
    });
    expect(notifier.subjects).toEqual(['lambda-rollout orders:live refused: version 9 of function orders is not published']);
  });

  it('calls an unexpected error before the start a failure, not a refusal', async () => {
    const notifier = new RecordingNotifier();
    const result = await makeNotify({ notifier, clock: fixedClock() })({ event: 'refused', input: {}, error: { Error: 'Throttled', Cause: 'Rate exceeded' } });
    expect(result.type).toBe('failed');
  });

  describe('an ending, as the last state of the workflow records it', () => {
    /** What was published, without the wall-clock time the recorder saw it at (two calls may straddle a millisecond). */
    const sent = (notifier: RecordingNotifier) => notifier.published.map(({ at: _, ...notification }) => notification);
    const input = { functionName: 'orders', alias: 'live', targetVersion: '9' };
    const at = '2026-01-05T10:05:00.000Z';

    it.each([
      ['promoted', { outcome: { status: 'promoted', reason: 'v2 serves 100% of live', at, finalVersion: '2' } }],
      ['rolled_back', { outcome: { status: 'rolled_back', reason: 'errors 5x the baseline', at, finalVersion: '1' } }],
      ['drift', { outcome: { status: 'drift', reason: 'alias live was changed by someone else', at, finalVersion: '1' } }],
      ['failed', { error: { Error: 'RollbackFailed', Cause: 'AccessDeniedException: not authorized' } }],
    ] as const)('announces %s as the same event the state names', async (type, ended) => {
      const [byEnding, byEvent] = [new RecordingNotifier(), new RecordingNotifier()];
      const ending = { ...(await state()), ...ended };
      const result = await makeNotify({ notifier: byEnding, clock: fixedClock() })({ ending, input });
      await makeNotify({ notifier: byEvent, clock: fixedClock() })({ event: type, state: ending });
      expect(result.type).toBe(type);
      expect(withoutTimes(byEnding)).toEqual(withoutTimes(byEvent));
    });

    it('announces a refusal before any rollout state from the execution input', async () => {
      const notifier = new RecordingNotifier();
      const refusal = { Error: 'RolloutRefused', Cause: 'version 9 of function orders is not published' };
      const result = await makeNotify({ notifier, clock: fixedClock() })({ ending: { ...input, refusal }, input });
      expect(result.type).toBe('refused');
      expect(notifier.subjects).toEqual(['lambda-rollout orders:live refused: version 9 of function orders is not published']);
    });

    it('announces a refusal after Prepare (another rollout holds the lock) the same way', async () => {
      const [byEnding, byError] = [new RecordingNotifier(), new RecordingNotifier()];
      const refusal = { Error: 'RolloutRefused', Cause: 'rollout r0 is already running on orders:live' };
      await makeNotify({ notifier: byEnding, clock: fixedClock() })({ ending: { ...(await state()), refusal }, input });
      await makeNotify({ notifier: byError, clock: fixedClock() })({ event: 'refused', input, error: refusal });
      expect(withoutTimes(byEnding)).toEqual(withoutTimes(byError));
      expect(byEnding.subjects).toEqual(['lambda-rollout orders:live refused: rollout r0 is already running on orders:live']);
    });

    it('calls an unexpected error before the start a failure', async () => {
      const result = await makeNotify({ notifier: new RecordingNotifier(), clock: fixedClock() })({ ending: { refusal: { Error: 'Throttled', Cause: 'Rate exceeded' } }, input: {} });
      expect(result.type).toBe('failed');
    });
  });

  it('fails loudly on something that is not a rollout state', async () => {
    await expect(makeNotify({ notifier: new RecordingNotifier(), clock: fixedClock() })({ event: 'started', state: {} })).rejects.toThrow('Not a rollout state: missing rollout.functionName');
  });
});
