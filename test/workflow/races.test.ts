/**
 * Two starts racing for one alias, in the real workflow: the winner takes the lock and shifts; the
 * loser is refused at AcquireLock, and its FAILED event reaches the guard while the winner holds
 * the alias. The winner must promote with its alias never put back under it.
 */
import { describe, expect, it } from 'vitest';
import type { GuardResult } from '../../functions/tasks/guard.js';
import { makeAcquireLock } from '../../functions/tasks/acquire-lock.js';
import { makeGuard } from '../../functions/tasks/guard.js';
import { makePrepare } from '../../functions/tasks/prepare.js';
import { makeReleaseLock } from '../../functions/tasks/release-lock.js';
import type { RolloutState } from '../../functions/core/state.js';
import type { TaskHandler } from '../../sim/tasks.js';
import { SimWorld } from '../../sim/world.js';
import { FakeWorkflow } from '../unit/support/fake-workflow.js';

const healthy = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const executionArn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:${name}`;

describe('racing starts', () => {
  it("the loser is refused at AcquireLock, and its FAILED event never undoes the winner's split", async () => {
    const w = new SimWorld({ rate: 200, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
    const input = { functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes', health: { metricDelaySeconds: 0 } };
    const ports = w.ports();
    const loser = { id: executionArn('loser'), name: 'loser', startTime: new Date(w.startTime).toISOString() };
    let prepared: RolloutState | undefined;
    let guarded: GuardResult | undefined;

    const wrapTask = (name: string, handler: TaskHandler): TaskHandler => {
      // Both executions prepared before either took the lock: the loser saw the alias whole.
      if (name === 'AcquireLock') {
        return async (state) => {
          prepared ??= (await makePrepare(ports)({ input, execution: loser })) as RolloutState;
          return handler(state);
        };
      }
      // The winner has shifted and holds the lock: the loser's AcquireLock, its ending, its FAILED event.
      if (name === 'NotifyShifted') {
        return async (state) => {
          if (!guarded && prepared) {
            const refused = await makeAcquireLock(ports)(prepared);
            await makeReleaseLock(ports)(refused);
            const workflow = new FakeWorkflow(() => Date.now());
            workflow.put(loser.id, { status: 'FAILED', history: [prepared, refused], error: refused.refusal?.Error, cause: refused.refusal?.Cause });
            guarded = await makeGuard({ registry: w.registry, workflow, lambda: w.lambda, notifier: w.notifier, concurrency: w.lambda, clock: ports.clock })({
              detail: { executionArn: loser.id, status: 'FAILED', error: refused.refusal?.Error ?? null, cause: refused.refusal?.Cause ?? null },
            });
          }
          return handler(state);
        };
      }
      return handler;
    };

    const run = await w.rehearse(input, { wrapTask, executionName: 'winner' });
    expect(run.status).toBe('SUCCEEDED');
    expect(guarded).toMatchObject({ action: 'untouched', endedAs: 'refused' });
    const writes = w.lambda.aliasChanges.filter((c) => c.by === 'rollout').map((c) => `${c.functionVersion}${JSON.stringify(c.routing)}`);
    expect(writes).toEqual(['1{"2":10}', '2{}']);
    expect(w.aliasState).toMatchObject({ functionVersion: '2', routing: {} });
    expect(await w.registry.get('loser')).toMatchObject({ status: 'refused', reason: expect.stringContaining('rollout winner is already running on orders:live') });
    expect(await w.registry.get('winner')).toMatchObject({ status: 'promoted' });
    expect(await w.registry.getLock('orders', 'live')).toBeUndefined();
  });
});
