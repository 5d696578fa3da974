import { describe, expect, it } from 'vitest';
import { artifactRefusalNotification, notificationFor, recordNotification, refusalNotification, toSubject } from '../../../functions/core/notification.js';
import { wants } from '../../../functions/core/notification-options.js';
import type { RolloutRecord } from '../../../functions/core/registry.js';
import { HealthPolicySchema } from '../../../functions/core/health.js';
import { toPlan } from '../../../functions/core/strategy.js';
import type { RolloutState } from '../../../functions/core/state.js';

const NOW = Date.UTC(2026, 0, 5, 10, 15, 0);
const state: RolloutState = {
  rollout: {
    id: 'orders-live-v8-1a2b',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:lambda-rollout:orders-live-v8-1a2b',
    functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders',
    alias: 'live',
    baselineVersion: '7',
    targetVersion: '8',
    plan: toPlan('Linear10PercentEvery1Minute'),
    health: HealthPolicySchema.parse({}),
    notifications: { attributes: { team: 'payments' } },
    startedAt: '2026-01-05T10:00:00.000Z',
  },
  alias: { functionVersion: '7', routing: { '8': 30 }, revisionId: 'r3' },
  cursor: { step: 2, weightPercent: 30, bakeSeconds: 60, next: 'shift', heldSeconds: 0, shiftedAt: NOW },
  history: [10, 20, 30].map((weightPercent, i) => ({
    step: i,
    weightPercent,
    shiftedAt: NOW - (2 - i) * 60_000,
    revisionId: `r${i + 1}`,
    checks: i < 2 ? 1 : 0,
    ...(i < 2
      ? {
          verdict: 'healthy' as const,
          reason: 'error rate within the limit of 1.10%: target 0.00% (0/300) vs baseline 0.10% (3/2700)',
          target: { invocations: 300, errors: 0 },
          baseline: { invocations: 2700, errors: 3 },
        }
      : {}),
  })),
};

describe('notificationFor', () => {
  it('a shift: readable subject, the facts in JSON, filterable attributes', () => {
    const n = notificationFor('shifted', state, NOW);
    expect(n.subject).toBe('lambda-rollout orders:live v8 shifted to 30%');
    expect(n.body).toMatchObject({
      type: 'shifted',
      at: '2026-01-05T10:15:00.000Z',
      rolloutId: 'orders-live-v8-1a2b',
      functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders',
      alias: 'live',
      baselineVersion: '7',
      targetVersion: '8',
      strategy: 'Linear10PercentEvery1Minute',
      step: 3,
      steps: 9,
      weightPercent: 30,
      routing: 'v7 70% + v8 30%',
      startedAt: '2026-01-05T10:00:00.000Z',
    });
    // A fresh step has no verdict yet; the previous step's came with its own 'verdict' event.
    expect(n.body).not.toHaveProperty('lastCheck');
    expect(n.attributes).toEqual({ eventType: 'shifted', functionName: 'orders', alias: 'live', rolloutId: 'orders-live-v8-1a2b', team: 'payments' });
  });

  it('where the rollout is comes from what happened, not from the next move', () => {
    const before: RolloutState = { ...state, history: [], alias: { functionVersion: '7', routing: {}, revisionId: 'r0' }, cursor: { ...state.cursor, step: 0, weightPercent: 10 } };
    expect(notificationFor('started', before, NOW).body).toMatchObject({ step: 0, steps: 9, weightPercent: 0, routing: 'v7 100%' });
  });

  it('a rollback says why in the subject and the body', () => {
    const rolledBack: RolloutState = {
      ...state,
      alias: { functionVersion: '7', routing: {}, revisionId: 'r4' },
      outcome: { status: 'rolled_back', reason: 'error rate over the limit of 1.10%: target 5.00% (15/300) vs baseline 0.10% (3/2700)', at: '2026-01-05T10:16:00.000Z', finalVersion: '7' },
    };
    const n = notificationFor('rolled_back', rolledBack, NOW);
    expect(n.subject).toMatch(/^lambda-rollout orders:live v8 rolled back: error rate over the limit of 1\.10%/);
    expect(n.subject.length).toBeLessThanOrEqual(100);
    expect(n.body).toMatchObject({ outcome: 'rolled_back', reason: expect.stringContaining('target 5.00% (15/300)'), routing: 'v7 100%' });
  });

  it('subjects are printable ASCII on one line, at most 100 characters', () => {
    expect(toSubject('a\nb — c')).toBe('a b c');
    expect(toSubject('x'.repeat(150))).toHaveLength(100);
  });

  it('wants every event unless a list is given', () => {
    expect(wants({}, 'shifted')).toBe(true);
    expect(wants({ events: ['rolled_back'] }, 'shifted')).toBe(false);
    expect(wants({ events: [] }, 'rolled_back')).toBe(false);
  });
});

describe('refusalNotification', () => {
  it('reads what it can from an input that may be invalid', () => {
    const n = refusalNotification({ functionName: 'orders', alias: 'live', targetVersion: 9 }, { Error: 'RolloutRefused', Cause: 'version 9 of function orders is not published' }, NOW);
    expect(n.subject).toBe('lambda-rollout orders:live refused: version 9 of function orders is not published');
    expect(n.body).toMatchObject({ type: 'refused', functionName: 'orders', alias: 'live', targetVersion: '9', error: 'RolloutRefused' });
    expect(n.attributes).toEqual({ eventType: 'refused', functionName: 'orders', alias: 'live' });
  });

  it('unwraps a Lambda error cause and copes with garbage input', () => {
    const n = refusalNotification(42, { Error: 'Throttled', Cause: '{"errorType":"Throttled","errorMessage":"Rate exceeded","trace":[]}' }, NOW, 'failed');
    expect(n.subject).toBe('lambda-rollout unknown function could not start: Rate exceeded');
    expect(n.attributes).toEqual({ eventType: 'failed' });
  });
});

describe('recordNotification', () => {
  const record: RolloutRecord = {
    rolloutId: 'orders-live-v8-1a2b',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:lambda-rollout:orders-live-v8-1a2b',
    functionName: 'orders',
    alias: 'live',
    targetVersion: '8',
    startedAt: '2026-01-05T10:00:00.000Z',
    status: 'pending',
    startedBy: 'arn:aws:iam::123456789012:user/alice',
    updatedAt: '2026-01-05T10:00:00.000Z',
  };

  it('tells how a rollout without a state ended, from its record', () => {
    const n = recordNotification('aborted', record, 'aborted', 'execution aborted: wrong version; no traffic had moved', NOW);
    expect(n.subject).toBe('lambda-rollout orders:live v8 aborted: execution aborted: wrong version; no traffic had moved');
    expect(n.body).toMatchObject({ type: 'aborted', rolloutId: 'orders-live-v8-1a2b', baselineVersion: null, targetVersion: '8', outcome: 'aborted', at: '2026-01-05T10:15:00.000Z' });
    expect(n.attributes).toEqual({ eventType: 'aborted', functionName: 'orders', alias: 'live', rolloutId: 'orders-live-v8-1a2b', outcome: 'aborted' });
  });
});

describe('artifactRefusalNotification', () => {
  it('is a refused event naming the object and the reason', () => {
    const n = artifactRefusalNotification(
      { bucket: 'artifacts', key: 'releases/inventory/live/1.zip', versionId: 'v1', functionName: 'inventory', alias: 'live', reason: 'function inventory is not in the allowed functions (orders-*)' },
      Date.UTC(2026, 0, 5),
    );
    expect(n.type).toBe('refused');
    expect(n.subject).toBe('lambda-rollout inventory:live artifact started nothing: function inventory is not in the allowed ...');
    expect(n.subject.length).toBeLessThanOrEqual(100);
    expect(n.body).toMatchObject({ source: 'artifact', bucket: 'artifacts', versionId: 'v1', reason: 'function inventory is not in the allowed functions (orders-*)', at: '2026-01-05T00:00:00.000Z' });
    expect(n.attributes).toEqual({ eventType: 'refused', functionName: 'inventory', alias: 'live' });
  });

  it('names no function when the key names none', () => {
    const n = artifactRefusalNotification({ bucket: 'b', key: 'releases/x.zip', reason: 'bad key' }, 0);
    expect(n.subject).toBe('lambda-rollout artifact releases/x.zip started nothing: bad key');
    expect(n.attributes).toEqual({ eventType: 'refused' });
  });
});
