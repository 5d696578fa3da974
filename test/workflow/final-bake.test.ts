/**
 * After promotion, in the real workflow: the final bake keeps watching the target against the
 * baseline's rate before the rollout began, and rolls the promotion back when it turns unhealthy;
 * dry-run signals are judged and reported but never roll back.
 */
import { describe, expect, it } from 'vitest';
import { crashing, healthy, runLifecycle } from '../support/lifecycle.js';

const watched = { input: { finalBakeSeconds: 600 }, world: { historySeconds: 3600 } };

describe('the final bake', () => {
  it('a healthy target: the rollout ends only after the bake, saying it was watched', async () => {
    const run = await runLifecycle(watched);
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.writeTimes).toEqual([0, 300]);
    expect(run.result.endedAt - run.result.startedAt).toBe(900_000);
    expect(run.result.output?.reason).toMatch(/; watched 600s after promotion: error rate no worse than the baseline's before the rollout: target [\d.]+% \(\d+\/\d+\) since promotion vs baseline 0\.10% \(180\/180000\) in the hour before the rollout$/);
    expect(run.types).toEqual(['started', 'shifted', 'verdict', 'shifted', 'verdict', 'promoted']);
    expect(await run.record()).toMatchObject({ status: 'promoted', progress: { weightPercent: 100 } });
  });

  it('a target that degrades after promotion: rolled back to the baseline with the RevisionId it wrote, and says so', async () => {
    const run = await runLifecycle({ ...watched, world: { ...watched.world, target: { ...healthy, changes: [{ atSeconds: 420, errorRate: 0.2 }] } } });
    expect(run.result.error?.Error).toBe('RolloutRolledBack');
    expect(run.result.error?.Cause).toMatch(/^after promotion, during the final bake: (error rate higher than the baseline's before the rollout|most requests fail)/);
    expect(run.weights).toEqual(['1+2@10', '2', '1']);
    const [, promotion] = run.world.lambda.aliasChanges.filter((c) => c.by === 'rollout');
    expect(run.world.lambda.calls.filter((c) => c.op === 'updateAlias').at(-1)?.args).toMatchObject({ functionVersion: '1', routing: {}, revisionId: promotion!.revisionId });
    expect(run.writeTimes[2]).toBeGreaterThan(420);
    expect(run.writeTimes[2]).toBeLessThan(900);
    expect(run.types.at(-1)).toBe('rolled_back');
    expect(await run.record()).toMatchObject({ status: 'rolled_back', finalVersion: '1' });
  });

  it('without traffic before the rollout to compare with, holds, then rolls back rather than pass untested', async () => {
    const run = await runLifecycle({ input: { finalBakeSeconds: 120 } });
    expect(run.result.error?.Cause).toMatch(/^after promotion, during the final bake: the baseline served too few requests before the rollout to compare with \(0 of 100\)/);
    expect(run.alias).toMatchObject({ functionVersion: '1', routing: {} });
  });

  it('someone else changing the alias during the bake is left alone (drift)', async () => {
    let world!: Awaited<ReturnType<typeof runLifecycle>>['world'];
    const run = await runLifecycle({
      ...watched,
      world: { ...watched.world, target: { ...healthy, changes: [{ atSeconds: 420, errorRate: 0.5 }] } },
      setup: (w) => {
        world = w;
      },
      options: {
        wrapTask: (name, handler) =>
          name === 'Rollback'
            ? async (input) => {
                world.lambda.changeAliasExternally('orders', 'live', { functionVersion: '2', routing: { '1': 5 } }, 'an operator');
                return handler(input);
              }
            : handler,
      },
    });
    expect(run.result.error?.Error).toBe('AliasDrift');
    expect(run.world.aliasState).toMatchObject({ functionVersion: '2', routing: { '1': 5 } });
  });
});

describe('dry-run signals', () => {
  it('a dry-run error signal is judged and reported, never a cause of rollback', async () => {
    const run = await runLifecycle({ input: { health: { metricDelaySeconds: 0, errors: { dryRun: true } } }, world: { target: crashing } });
    expect(run.result.status).toBe('SUCCEEDED');
    // Every signal of the latest check is on the rollout's record (the state keeps each step's verdict and reason).
    const errors = (await run.world.registry.get('rehearsal'))?.lastCheck?.signals.find((s) => s.name === 'errors');
    expect(errors).toMatchObject({ verdict: 'unhealthy', dryRun: true });
    expect(errors?.reason).toMatch(/^most requests fail.*\(dry run: not acted on\)$/);
  });

  it.each([
    [true, 'SUCCEEDED'],
    [false, 'FAILED'],
  ])('an alarm in ALARM with dryRun %s: %s', async (dryRun, status) => {
    const run = await runLifecycle({
      input: { health: { metricDelaySeconds: 0, alarms: { names: ['orders-busy'], dryRun } } },
      setup: (w) =>
        w.cloudwatch.putMetricAlarm({
          alarmName: 'orders-busy',
          namespace: 'AWS/Lambda',
          metricName: 'Invocations',
          dimensions: { FunctionName: 'orders' },
          stat: 'Sum',
          periodSeconds: 60,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
        }),
    });
    expect(run.result.status).toBe(status);
    const alarm = (await run.world.registry.get('rehearsal'))?.lastCheck?.signals.find((s) => s.name === 'alarm orders-busy');
    expect(alarm).toMatchObject({ verdict: 'unhealthy', ...(dryRun ? { dryRun: true } : {}) });
  });
});
