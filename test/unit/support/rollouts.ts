/** Rollout states and registry requests for the registry, lock, guard and API tests. */
import { HealthPolicySchema } from '../../../functions/core/health.js';
import type { LockRequest, RolloutEnding, RolloutFacts } from '../../../functions/core/registry.js';
import type { RolloutRegistry } from '../../../functions/ports.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { toPlan } from '../../../functions/core/strategy.js';

export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
export const iso = (ms: number) => new Date(ms).toISOString();
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:lambda-rollout';
export const executionArn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:lambda-rollout:${name}`;
export const CALLER = 'arn:aws:iam::123456789012:user/alice';

/**
 * A continuation of orders:live as the workflow makes it: the execution holding the lock records
 * the hand-off (to `to`, with the digest of its input), then `to` takes the lock and record over.
 */
export async function handOverTo(registry: Pick<RolloutRegistry, 'recordHandOff' | 'handOver'>, rolloutId: string, from: string, to: string, at = iso(T0)): Promise<boolean> {
  const digest = `digest of ${to}`;
  await registry.recordHandOff({ functionName: 'orders', alias: 'live', rolloutId, executionArn: from, handOff: { to, digest }, at });
  return registry.handOver({ functionName: 'orders', alias: 'live', rolloutId, from, to, digest, at });
}

/** The rollout the registry requests below describe: orders:live from v7 to v8, started at T0. */
const ROLLOUT = { functionName: 'orders', alias: 'live', baselineVersion: '7', targetVersion: '8', startedAt: iso(T0) } as const;

/** The facts of rollout `rolloutId` of {@link ROLLOUT}, as every registry request carries them. */
const facts = (rolloutId: string): RolloutFacts => ({ rolloutId, executionArn: executionArn(rolloutId), ...ROLLOUT });

/** A lock request for `orders:live` (or the alias given). */
export function lockRequest(rolloutId: string, overrides: Partial<LockRequest> = {}): LockRequest {
  return {
    ...facts(rolloutId),
    strategy: 'Linear10PercentEvery1Minute',
    status: 'running',
    startedBy: CALLER,
    at: iso(T0),
    ...overrides,
  };
}

/** An ending for the rollout of `lockRequest(rolloutId)`. */
export function ending(rolloutId: string, overrides: Partial<RolloutEnding> = {}): RolloutEnding {
  return {
    ...facts(rolloutId),
    status: 'promoted',
    reason: 'v8 serves 100% of live',
    finalVersion: '8',
    endedAt: iso(T0 + 600_000),
    ...overrides,
  };
}

/**
 * A rollout of orders:live from v7 to v8, linear 10% a minute, at its third step (30%) with two
 * checked steps behind it. The alias routes v7 70% + v8 30% at revision "r3".
 */
export function runningState(overrides: { id?: string; alias?: Partial<RolloutState['alias']>; cursor?: Partial<RolloutState['cursor']> } = {}): RolloutState {
  const id = overrides.id ?? 'orders-live-v8-1a2b3c4d5e6f';
  return {
    rollout: {
      id,
      executionArn: executionArn(id),
      functionName: 'orders',
      alias: 'live',
      baselineVersion: '7',
      targetVersion: '8',
      plan: toPlan('Linear10PercentEvery1Minute'),
      health: HealthPolicySchema.parse({}),
      notifications: { attributes: { team: 'payments' } },
      startedAt: iso(T0),
    },
    alias: { functionVersion: '7', routing: { '8': 30 }, revisionId: 'r3', ...overrides.alias },
    cursor: { step: 2, weightPercent: 30, bakeSeconds: 60, next: 'bake', heldSeconds: 0, shiftedAt: T0 + 120_000, ...overrides.cursor },
    history: [
      { step: 0, weightPercent: 10, shiftedAt: T0, revisionId: 'r1', checks: 1, checkedAt: T0 + 60_000, verdict: 'healthy', reason: 'no worse than the baseline', target: { invocations: 300, errors: 0 }, baseline: { invocations: 2700, errors: 3 } },
      { step: 1, weightPercent: 20, shiftedAt: T0 + 60_000, revisionId: 'r2', checks: 1, checkedAt: T0 + 120_000, verdict: 'healthy', reason: 'no worse than the baseline', target: { invocations: 600, errors: 1 }, baseline: { invocations: 2400, errors: 2 } },
      { step: 2, weightPercent: 30, shiftedAt: T0 + 120_000, revisionId: 'r3', checks: 0 },
    ],
  };
}
