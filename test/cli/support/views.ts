/** Rollouts as `GET /rollouts/{id}` answers them, for the display and report tests. */
import type { WireRollout, WireStep } from '../../../cli/service/wire.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:lambda-rollout:orders-live-v8-3f2a9c01b7d4';

/** 2026-01-05T10:mm:ss.000Z */
export const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 0, 5, 10, minute, second)).toISOString();

export const counts = (invocations: number, errors: number) => ({ invocations, errors, errorRate: invocations > 0 ? errors / invocations : 0 });

export function step(n: number, weightPercent: number, shiftedMinute: number, check?: Partial<WireStep>): WireStep {
  return { step: n, weightPercent, shiftedAt: at(shiftedMinute), checks: check ? 1 : 0, ...check };
}

/** A Linear rollout of orders:live from v7 to v8, three steps of 10, 20 and 30%, running at step 2. */
export function view(overrides: Partial<WireRollout> = {}): WireRollout {
  return {
    rolloutId: 'orders-live-v8-3f2a9c01b7d4',
    functionName: 'orders',
    alias: 'live',
    baselineVersion: '7',
    targetVersion: '8',
    status: 'running',
    currentStep: 2,
    totalSteps: 3,
    weightPercent: 20,
    startedBy: 'arn:aws:iam::123456789012:user/alice',
    startedAt: at(0),
    updatedAt: at(2),
    executionArn: ARN,
    strategy: 'Linear10PercentEvery1Minute',
    steps: [
      step(1, 10, 0, { checkedAt: at(1), verdict: 'healthy', reason: 'no worse than the baseline', target: counts(300, 0), baseline: counts(2700, 3) }),
      step(2, 20, 1),
    ],
    execution: { arn: ARN, consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${ARN}`, status: 'RUNNING', startedAt: at(0) },
    ...overrides,
  };
}
