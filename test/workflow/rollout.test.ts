/**
 * The real workflow definition, run by aws-local-stepfunctions with the real handlers, against
 * the simulated world: which weights the alias had, how each rollout ended, what people were told.
 */
import { describe, expect, it, vi } from 'vitest';
import { DriftError, RejectedError } from '../../functions/core/errors.js';
import type { RolloutState } from '../../functions/core/state.js';
import { loadDefinition, type RunWorkflowOptions, taskKeyOf } from '../../sim/runner.js';
import { SimWorld, type WorldOptions } from '../../sim/world.js';
import type { TaskHandler } from '../../sim/tasks.js';

const definition = loadDefinition();
const healthy = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const crashing = { errorRate: 1, p50Ms: 40, p99Ms: 200 };

async function rehearse(
  strategy: unknown,
  world: Partial<WorldOptions> = {},
  { input, ...run }: Partial<Omit<RunWorkflowOptions, 'input'>> & { input?: object } = {},
) {
  const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0, seed: 3, ...world });
  const health = { metricDelaySeconds: world.metricDelaySeconds ?? 0 };
  const result = await w.rehearse({ functionName: w.functionName, alias: w.alias, targetVersion: w.targetVersion, strategy, health, ...input }, run);
  const byRollout = w.lambda.aliasChanges.filter((c) => c.by === 'rollout');
  /** The alias after each write of the rollout: "1+2@10" is v1 with 10% to v2; "2" is wholly v2. */
  const weights = byRollout.map((c) => (Object.keys(c.routing).length ? `${c.functionVersion}+${Object.entries(c.routing).map(([v, p]) => `${v}@${p}`).join()}` : c.functionVersion));
  const types = w.notifier.published.map((n) => n.type);
  return { world: w, result, weights, types, alias: w.aliasState };
}

const split = (alias: { routing: Record<string, number> }) => Object.keys(alias.routing).length > 0;

describe('promotion', () => {
  it('Linear10PercentEvery1Minute moves the alias through 10, 20, ... 90% and then wholly to the target', async () => {
    const { result, weights, types, alias } = await rehearse('Linear10PercentEvery1Minute');
    expect(result.status).toBe('SUCCEEDED');
    expect(weights).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90].map((w) => `1+2@${w}`).concat('2'));
    expect(alias).toMatchObject({ functionVersion: '2', routing: {} });
    expect(types).toEqual(['started', ...Array(9).fill(['shifted', 'verdict']).flat(), 'promoted']);
    expect(result.output).toMatchObject({
      outcome: 'promoted',
      functionName: 'orders',
      alias: 'live',
      baselineVersion: '1',
      targetVersion: '2',
      strategy: 'Linear10PercentEvery1Minute',
      finalAlias: { functionVersion: '2', routing: {} },
    });
    expect(result.output?.reason).toMatch(/^v2 serves 100% of live/);
    expect(result.output?.steps.map((s) => `${s.weightPercent}:${s.verdict}`)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90].map((w) => `${w}:healthy`));
    expect(result.endedAt - result.startedAt).toBe(9 * 60_000);
  });

  it('Canary10Percent5Minutes goes to 10%, bakes five minutes, then 100%', async () => {
    const { result, weights, world } = await rehearse('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    expect(result.status).toBe('SUCCEEDED');
    expect(weights).toEqual(['1+2@10', '2']);
    const changes = world.lambda.aliasChanges.filter((c) => c.by === 'rollout').map((c) => c.at - world.startTime);
    expect(changes).toEqual([0, 300_000]);
  });

  it('AllAtOnce moves the alias directly', async () => {
    const { result, weights, types } = await rehearse('AllAtOnce');
    expect(result.status).toBe('SUCCEEDED');
    expect(weights).toEqual(['2']);
    expect(types).toEqual(['started', 'promoted']);
  });

  it('the aws-lambda-deploy format runs unchanged', async () => {
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
    const result = await w.rehearse({ 'function-name': 'orders', 'alias-name': 'live', 'new-version': '2', steps: 4, interval: 60, type: 'linear' });
    expect(result.status).toBe('SUCCEEDED');
    expect(w.lambda.aliasChanges.filter((c) => c.by === 'rollout').map((c) => c.routing['2'] ?? 100)).toEqual([25, 50, 75, 100]);
  });

  it('waits for CloudWatch: with a two-minute ingestion delay a step holds until its data arrives', async () => {
    const checks: { at: number; verdict?: string; reason?: string }[] = [];
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler =>
      name === 'CheckHealth'
        ? async (input) => {
            const output = (await handler(input)) as RolloutState;
            const { checkedAt = Number.NaN, verdict, reason } = output.history.at(-1)!;
            checks.push({ at: checkedAt, verdict, reason });
            return output;
          }
        : handler;
    const { result, world } = await rehearse('Canary10Percent5Minutes', { metricDelaySeconds: 120 }, { wrapTask });
    expect(result.status).toBe('SUCCEEDED');
    const promotedAt = world.lambda.aliasChanges.at(-1)!.at - world.startTime;
    expect(promotedAt).toBe(300_000);
    const history = result.output!.steps;
    expect(history[0]?.target?.invocations).toBeGreaterThan(100);
    // The first complete minute (0-60 s) is in CloudWatch at 60 s + 120 s: every check before then is
    // inconclusive for want of data, and the first judged check (healthy) comes at 180 s or later.
    const at = (c: { at: number }) => c.at - world.startTime;
    const early = checks.filter((c) => at(c) < 180_000);
    expect(early.length).toBeGreaterThan(0);
    for (const c of early) {
      expect(c).toMatchObject({ verdict: 'inconclusive', reason: expect.stringContaining('no complete metric minute yet') });
    }
    const judged = checks.filter((c) => !c.reason?.includes('no complete metric minute yet'));
    expect(judged.length).toBeGreaterThan(0);
    expect(at(judged[0]!)).toBeGreaterThanOrEqual(180_000);
    expect(at(checks.find((c) => c.verdict === 'healthy')!)).toBeGreaterThanOrEqual(180_000);
  });
});

describe('rollback', () => {
  it.each([1, 4, 9])('an unhealthy check at step %i leaves the alias wholly on the baseline and the execution Failed', async (step) => {
    const target = { ...healthy, changes: [{ atSeconds: (step - 1) * 60 + 1, errorRate: 1 }] };
    const { result, weights, types, alias } = await rehearse('Linear10PercentEvery1Minute', { target });
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('RolloutRolledBack');
    expect(result.error?.Cause).toMatch(/^(most requests fail|errors \d+x the baseline's rate) .*: target [\d.]+% \(\d+\/\d+\) vs baseline/);
    expect(result.error?.Cause).not.toContain('\n');
    expect(weights).toEqual([...Array.from({ length: step }, (_, i) => `1+2@${(i + 1) * 10}`), '1']);
    expect(alias).toMatchObject({ functionVersion: '1', routing: {} });
    expect(types.at(-1)).toBe('rolled_back');
  });

  it('a crash during a canary is caught at the first check', async () => {
    const { result, world, alias } = await rehearse('Canary10Percent5Minutes', { target: crashing, metricDelaySeconds: 120 });
    expect(result.error?.Error).toBe('RolloutRolledBack');
    expect(alias.routing).toEqual({});
    // Checked every minute during the bake: the first complete minute is readable at 60 s + 120 s.
    expect(world.lambda.aliasChanges.at(-1)!.at - world.startTime).toBe(180_000);
    expect(result.error?.Cause).toMatch(/^most requests fail .*: target 100\.00% \((\d+)\/\1\)/);
    expect(world.notifier.published.at(-1)?.subject).toContain('rolled back: most requests fail');
  });

  it.each([
    ['ShiftWeight', 2],
    ['CheckHealth', 3],
    ['Finalize', 1],
  ])('an error thrown by %s (call %i) ends in rollback', async (state, call) => {
    let calls = 0;
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler =>
      name === state
        ? async (input) => {
            calls += 1;
            if (calls === call) throw new TypeError(`${state} broke`);
            return handler(input);
          }
        : handler;
    const { result, alias, types } = await rehearse('Linear10PercentEvery1Minute', {}, { wrapTask });
    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ Error: 'RolloutRolledBack', Cause: `TypeError: ${state} broke` });
    expect(alias).toMatchObject({ functionVersion: '1', routing: {} });
    expect(types.at(-1)).toBe('rolled_back');
  });

  it('retries transient errors and carries on', async () => {
    const { world, result } = await (async () => {
      const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
      w.lambda.injectFault('updateAlias', 'throttle', 2);
      w.lambda.injectFault('getAlias', 'server-error', 1);
      const r = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes' });
      return { world: w, result: r };
    })();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.filter((e) => e.type === 'StateRetried').length).toBe(3);
    expect(world.aliasState).toMatchObject({ functionVersion: '2', routing: {} });
  });
});

describe('drift', () => {
  it('an alias changed by someone else mid-rollout is not overwritten; the rollout reports drift', async () => {
    let world!: SimWorld;
    let checks = 0;
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler =>
      name === 'CheckHealth'
        ? async (input) => {
            checks += 1;
            if (checks === 2) world.lambda.changeAliasExternally('orders', 'live', { functionVersion: '1', routing: { '2': 5 } }, 'an operator');
            return handler(input);
          }
        : handler;
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
    world = w;
    const result = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Linear10PercentEvery1Minute' }, { wrapTask });
    expect(result.status).toBe('FAILED');
    expect(result.error?.Error).toBe('AliasDrift');
    expect(result.error?.Cause).toContain('alias live was changed by someone else');
    expect(w.aliasState).toMatchObject({ functionVersion: '1', routing: { '2': 5 } });
    expect(w.lambda.aliasChanges.at(-1)?.by).toBe('an operator');
    expect(w.notifier.published.at(-1)).toMatchObject({ type: 'drift', attributes: { eventType: 'drift', functionName: 'orders', alias: 'live' } });
  });
});

describe('drift is confirmed by reading the alias', () => {
  const stray412 = () => new DriftError('UpdateAlias orders:live: The Revision Id provided does not match the latest Revision Id (PreconditionFailedException, HTTP 412)');

  it('a 412 while the alias still carries the revision this rollout wrote is no drift: the shift is tried again and the rollout promotes', async () => {
    const w = new SimWorld({ rate: 200, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
    w.lambda.injectFault('updateAlias', stray412, 1);
    const run = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes', health: { metricDelaySeconds: 0 } });
    expect(run.status).toBe('SUCCEEDED');
    expect(w.aliasState).toMatchObject({ functionVersion: '2', routing: {} });
    expect(w.notifier.published.map((n) => n.type)).not.toContain('drift');
  });

  it('a 412 on the restoring write, with nobody else writing, is tried again: the alias ends whole and the rollout says rolled back', async () => {
    const w = new SimWorld({ rate: 200, baseline: healthy, target: crashing, metricDelaySeconds: 0 });
    let injected = false;
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler =>
      name === 'Rollback'
        ? async (input) => {
            if (!injected) w.lambda.injectFault('updateAlias', stray412, 1);
            injected = true;
            return handler(input);
          }
        : handler;
    const run = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', rolloutId: 'r-1', strategy: 'Canary10Percent5Minutes', health: { metricDelaySeconds: 0 } }, { wrapTask });
    expect(run.error?.Error).toBe('RolloutRolledBack');
    expect(w.aliasState).toMatchObject({ functionVersion: '1', routing: {} });
    expect(w.notifier.published.at(-1)?.type).toBe('rolled_back');
    expect(await w.registry.get('r-1')).toMatchObject({ status: 'rolled_back', finalVersion: '1' });
  });

  it("someone else's change: drift, and the record, the notification and the final alias agree on it", async () => {
    const w = new SimWorld({ rate: 200, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
    let shifts = 0;
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler =>
      name === 'ShiftWeight'
        ? async (input) => {
            shifts += 1;
            if (shifts === 2) w.lambda.changeAliasExternally('orders', 'live', { functionVersion: '1', routing: { '2': 5 } }, 'an operator');
            return handler(input);
          }
        : handler;
    const run = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', rolloutId: 'r-1', strategy: 'Linear10PercentEvery1Minute', health: { metricDelaySeconds: 0 } }, { wrapTask });
    const theirs = w.lambda.aliasChanges.at(-1)!;
    expect(theirs.by).toBe('an operator');
    expect(w.aliasState).toMatchObject({ functionVersion: '1', routing: { '2': 5 }, revisionId: theirs.revisionId });
    expect(run.error?.Error).toBe('AliasDrift');
    expect(run.error?.Cause).toContain(`revision ${theirs.revisionId}`);
    const record = await w.registry.get('r-1');
    expect(record).toMatchObject({ status: 'drift', reason: run.error?.Cause, finalVersion: '1' });
    expect(w.notifier.published.at(-1)).toMatchObject({ type: 'drift', body: expect.objectContaining({ reason: run.error?.Cause }) });
  });
});

describe('refusal', () => {
  it('a refused rollout fails with the reason, changes nothing, and says so', async () => {
    const { result, world, weights } = await rehearse('Canary10Percent5Minutes', {}, { input: { targetVersion: '7' } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toEqual({ Error: 'RolloutRefused', Cause: 'version 7 of function orders is not published' });
    expect(weights).toEqual([]);
    expect(world.notifier.published.map((n) => n.subject)).toEqual(['lambda-rollout orders:live refused: version 7 of function orders is not published']);
  });

  it('invalid input is refused naming the field', async () => {
    const { result } = await rehearse({ type: 'linear', percent: 120, intervalSeconds: 60 });
    expect(result.error?.Error).toBe('InvalidRolloutInput');
    expect(result.error?.Cause).toContain('strategy.percent: each increment must be more than 0 and less than 100');
  });

  it('a second rollout on a split alias is refused', async () => {
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy });
    w.lambda.changeAliasExternally('orders', 'live', { functionVersion: '1', routing: { '2': 10 } }, 'another rollout');
    const result = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2' });
    expect(result.error?.Cause).toContain('alias live is already split (v1 90% + v2 10%)');
  });
});

describe('failure of the failure path', () => {
  it('a rollback that cannot write ends RollbackFailed, and says so', async () => {
    let world!: SimWorld;
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler =>
      name === 'CheckHealth'
        ? async (input) => {
            world.lambda.injectFault('getAlias', () => Object.assign(new Error('AccessDeniedException: not authorized'), { name: 'AwsRequestRejected' }), 100);
            return { ...(await handler(input) as object), cursor: { ...(input as { cursor: object }).cursor, next: 'rollback', reason: 'forced' } };
          }
        : handler;
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
    world = w;
    const result = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes' }, { wrapTask });
    expect(result.error?.Error).toBe('RollbackFailed');
    expect(result.error?.Cause).toContain('not authorized');
    expect(split(w.aliasState)).toBe(true);
    expect(w.notifier.published.at(-1)?.type).toBe('failed');
  });

  it.each([
    ['a promotion ends LockNotReleased', healthy, 'LockNotReleased', 'promoted', '2'],
    ['a rollback still ends RolloutRolledBack', crashing, 'RolloutRolledBack', 'rolled_back', '1'],
  ])('a registry that cannot record the ending: %s, and the lock stays for the guard', async (_, target, error, told, version) => {
    const w = new SimWorld({ rate: 50, baseline: healthy, target, metricDelaySeconds: 0 });
    vi.spyOn(w.registry, 'finish').mockRejectedValue(new RejectedError('AccessDeniedException: not authorized'));
    const result = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes' });
    expect(result.error?.Error).toBe(error);
    expect(w.notifier.published.at(-1)?.type).toBe(told);
    expect(w.aliasState).toMatchObject({ functionVersion: version, routing: {} });
    expect(await w.registry.getLock('orders', 'live')).toMatchObject({ rolloutId: result.executionName });
  });

  it('a notification that cannot be sent at the end still records the ending and frees the alias', async () => {
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler =>
      async (input) => {
        if (taskKeyOf(definition.States[name]!) === 'NotifyFunctionArn' && 'ending' in (input as object)) throw new RejectedError('AccessDeniedException: not authorized');
        return handler(input);
      };
    const { result, world, types } = await rehearse('Canary10Percent5Minutes', {}, { wrapTask });
    expect(result.status).toBe('SUCCEEDED');
    expect(types).toEqual(['started', 'shifted', 'verdict']);
    expect(await world.registry.get(result.executionName)).toMatchObject({ status: 'promoted' });
    expect(await world.registry.getLock('orders', 'live')).toBeUndefined();
  });

  it('a broken notifier never stops a rollout', async () => {
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0 });
    const ports = { ...w.ports(), notifier: { publish: async () => { throw new Error('SNS is down'); } } };
    const result = await w.rehearse({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes' }, { ports });
    expect(result.status).toBe('SUCCEEDED');
    expect(w.aliasState).toMatchObject({ functionVersion: '2', routing: {} });
  });
});
