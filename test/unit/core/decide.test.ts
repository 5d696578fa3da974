import { describe, expect, it } from 'vitest';
import { decide, firstCursor } from '../../../functions/core/decide.js';
import { HealthPolicySchema, type Verdict } from '../../../functions/core/health.js';
import { toPlan } from '../../../functions/core/strategy.js';

const plan = toPlan({ type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 300 }, { weightPercent: 50, bakeSeconds: 600 }] });
const policy = HealthPolicySchema.parse({ insufficientData: { holdSeconds: 120, maxHoldSeconds: 240 } });
const v = (verdict: Verdict['verdict'], reason: string = verdict): Verdict => ({ verdict, reason, target: { invocations: 0, errors: 0 }, baseline: { invocations: 0, errors: 0 } });
const at = (step: number, heldSeconds = 0) => ({ ...firstCursor(plan), step, weightPercent: plan.steps[step]!.weightPercent, heldSeconds, shiftedAt: 1 });

describe('firstCursor', () => {
  it('starts at the first step', () => {
    expect(firstCursor(plan)).toMatchObject({ step: 0, weightPercent: 10, bakeSeconds: 300, next: 'shift' });
  });
  it('promotes at once for AllAtOnce', () => {
    expect(firstCursor(toPlan('AllAtOnce')).next).toBe('promote');
  });
});

describe('decide', () => {
  it.each([
    ['healthy at step 1 shifts to step 2', at(0), v('healthy'), { next: 'shift', step: 1, weightPercent: 50, bakeSeconds: 600, heldSeconds: 0 }],
    ['healthy at the last step promotes', at(1), v('healthy'), { next: 'promote', step: 1 }],
    ['unhealthy rolls back with the reason', at(0), v('unhealthy', 'error rate over the limit'), { next: 'rollback', reason: 'error rate over the limit' }],
    ['inconclusive holds for more evidence', at(0), v('inconclusive', 'not enough traffic'), { next: 'hold', bakeSeconds: 120, heldSeconds: 120, shiftedAt: 1 }],
    ['inconclusive holds up to the limit', at(0, 120), v('inconclusive'), { next: 'hold', heldSeconds: 240 }],
    ['inconclusive past the limit rolls back', at(0, 240), v('inconclusive', 'not enough traffic: 3 of 100 requests'), { next: 'rollback', reason: 'not enough traffic: 3 of 100 requests' }],
  ] as const)('%s', (_, cursor, verdict, expected) => {
    expect(decide(plan, cursor, verdict, policy)).toMatchObject(expected);
  });

  it('proceeds past the hold limit only when the policy says so', () => {
    const proceed = HealthPolicySchema.parse({ insufficientData: { maxHoldSeconds: 0, then: 'proceed' } });
    expect(decide(plan, at(0), v('inconclusive', 'not enough traffic'), proceed)).toMatchObject({ next: 'shift', step: 1, reason: 'not enough traffic; proceeding as the policy allows' });
    expect(decide(plan, at(1), v('inconclusive'), proceed).next).toBe('promote');
  });
});
