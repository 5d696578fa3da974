/**
 * Lifecycle hooks in the real workflow: each kind answering at once, failing, never answering, and
 * calling back later with the task token; what the alias went through and how the rollout ended.
 */
import { describe, expect, it } from 'vitest';
import { crashing, runLifecycle } from '../support/lifecycle.js';

/** A refusal before any traffic: the alias never moved, people were told, the lock is free and the record says refused. */
async function expectRefusedUntouched(run: Awaited<ReturnType<typeof runLifecycle>>): Promise<void> {
  expect(run.weights).toEqual([]);
  expect(run.world.traffic.totals()['2']?.requests ?? 0).toBe(0);
  expect(run.alias).toMatchObject({ functionVersion: '1', routing: {} });
  expect(run.types).toEqual(['started', 'refused']);
  expect(await run.lock()).toBeUndefined();
  expect(await run.record()).toMatchObject({ status: 'refused', finalVersion: '1' });
}

describe('preTraffic (CodeDeploy BeforeAllowTraffic)', () => {
  it('passing: asked once, before any traffic moves, then the rollout runs', async () => {
    const run = await runLifecycle({ hooks: { preTraffic: { answer: 'succeed' } } });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.hookCalls.map((c) => `${c.hook}@${c.atSeconds}`)).toEqual(['preTraffic@0']);
    expect(run.weights).toEqual(['1+2@10', '2']);
    expect(run.alias).toMatchObject({ functionVersion: '2', routing: {} });
  });

  it('failing: refused with the hook\'s reason; the alias never changed and the target served nothing', async () => {
    const run = await runLifecycle({ hooks: { preTraffic: { answer: 'fail', reason: '2 of 3 smoke checks failed' } } });
    expect(run.result.error).toEqual({
      Error: 'RolloutRefused',
      Cause: 'the preTraffic hook preTraffic-hook failed: 2 of 3 smoke checks failed; no traffic was moved',
    });
    await expectRefusedUntouched(run);
  });

  it('silent: refused when its timeout passes', async () => {
    const run = await runLifecycle({ hooks: { preTraffic: { answer: 'timeout', timeoutSeconds: 900 } } });
    expect(run.result.error?.Cause).toBe('the preTraffic hook preTraffic-hook gave no answer within 900s; no traffic was moved');
    expect(run.result.endedAt - run.result.startedAt).toBe(900_000);
    expect(run.weights).toEqual([]);
  });

  it('calling back with the task token: the rollout waits for the answer, then moves', async () => {
    const run = await runLifecycle({ hooks: { preTraffic: { answer: 'callback', afterSeconds: 120 } } });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.writeTimes).toEqual([120, 420]);
  });

  it('calling back with a failure: refused, with the hook\'s reason', async () => {
    const run = await runLifecycle({ hooks: { preTraffic: { answer: 'callback', afterSeconds: 120, status: 'Failed', reason: 'load test failed' } } });
    expect(run.result.error?.Cause).toBe('the preTraffic hook preTraffic-hook failed: load test failed; no traffic was moved');
    expect(run.weights).toEqual([]);
  });

  it('a callback after the timeout finds the wait closed; the rollout was refused at the timeout', async () => {
    const run = await runLifecycle({ hooks: { preTraffic: { answer: 'callback', afterSeconds: 1200, timeoutSeconds: 600 } } });
    expect(run.result.error?.Cause).toContain('gave no answer within 600s');
    expect(run.world.tokens.answers).toEqual([]);
  });
});

describe('beforeStep', () => {
  it('passing: asked before each weight increase, promotion included, with the weight about to come', async () => {
    const run = await runLifecycle({ hooks: { beforeStep: { answer: 'succeed' } } });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.hookCalls.map((c) => c.atSeconds)).toEqual([0, 300]);
    expect(run.weights).toEqual(['1+2@10', '2']);
  });

  it('failing after traffic moved: holds at the weight and asks again while the holds allow, then rolls back', async () => {
    const run = await runLifecycle({
      input: { health: { metricDelaySeconds: 0, insufficientData: { holdSeconds: 60, maxHoldSeconds: 120 } } },
      hooks: { beforeStep: { answer: 'fail', reason: 'change freeze', passFirst: 1 } },
    });
    expect(run.result.error?.Error).toBe('RolloutRolledBack');
    expect(run.result.error?.Cause).toBe('the beforeStep hook beforeStep-hook failed: change freeze (3 times; holding no longer)');
    expect(run.hookCalls.map((c) => `${c.atSeconds}:${c.answer}`)).toEqual(['0:Succeeded', '300:Failed', '360:Failed', '420:Failed']);
    expect(run.weights).toEqual(['1+2@10', '1']);
    expect(run.types).toContain('held');
  });

  it('failing before any traffic moved: the rollout is refused, nothing changed', async () => {
    const run = await runLifecycle({ hooks: { beforeStep: { answer: 'fail', reason: 'change freeze' } } });
    expect(run.result.error).toEqual({ Error: 'RolloutRefused', Cause: 'the beforeStep hook beforeStep-hook failed: change freeze; no traffic was moved' });
    await expectRefusedUntouched(run);
  });

  it('silent: a timeout is a failure', async () => {
    const run = await runLifecycle({ hooks: { beforeStep: { answer: 'timeout', timeoutSeconds: 300 } } });
    expect(run.result.error?.Cause).toBe('the beforeStep hook beforeStep-hook gave no answer within 300s; no traffic was moved');
    expect(run.weights).toEqual([]);
  });

  it('calling back: each increase waits for the answer', async () => {
    const run = await runLifecycle({ hooks: { beforeStep: { answer: 'callback', afterSeconds: 30 } } });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.writeTimes).toEqual([30, 360]);
  });
});

describe('postTraffic (CodeDeploy AfterAllowTraffic)', () => {
  it('passing: asked once the alias is wholly on the target; the promotion stands', async () => {
    const run = await runLifecycle({ hooks: { postTraffic: { answer: 'succeed' } } });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.hookCalls.map((c) => `${c.hook}@${c.atSeconds}`)).toEqual(['postTraffic@300']);
    expect(run.alias).toMatchObject({ functionVersion: '2', routing: {} });
    expect(await run.record()).toMatchObject({ status: 'promoted' });
  });

  it('failing: the promotion is rolled back to the baseline, with the RevisionId it wrote, and says so', async () => {
    const run = await runLifecycle({ hooks: { postTraffic: { answer: 'fail', reason: 'checkout journey broken' } } });
    expect(run.result.error).toEqual({ Error: 'RolloutRolledBack', Cause: 'after promotion: the postTraffic hook postTraffic-hook failed: checkout journey broken' });
    expect(run.weights).toEqual(['1+2@10', '2', '1']);
    const [, promotion, rollback] = run.world.lambda.aliasChanges.filter((c) => c.by === 'rollout');
    expect(run.world.lambda.calls.filter((c) => c.op === 'updateAlias').at(-1)?.args).toMatchObject({ functionVersion: '1', revisionId: promotion!.revisionId });
    expect(rollback).toMatchObject({ functionVersion: '1', routing: {} });
    expect(run.types.at(-1)).toBe('rolled_back');
    expect(await run.record()).toMatchObject({ status: 'rolled_back', finalVersion: '1' });
  });

  it('silent: rolled back at the timeout', async () => {
    const run = await runLifecycle({ hooks: { postTraffic: { answer: 'timeout', timeoutSeconds: 120 } } });
    expect(run.result.error?.Cause).toBe('after promotion: the postTraffic hook postTraffic-hook gave no answer within 120s');
    expect(run.writeTimes).toEqual([0, 300, 420]);
    expect(run.alias).toMatchObject({ functionVersion: '1', routing: {} });
  });

  it('calling back: the rollout ends when the answer comes', async () => {
    const run = await runLifecycle({ hooks: { postTraffic: { answer: 'callback', afterSeconds: 90 } } });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.result.endedAt - run.result.startedAt).toBe(390_000);
  });

  it('a rollback of the promotion never overwrites someone else\'s change to the alias', async () => {
    let world!: Awaited<ReturnType<typeof runLifecycle>>['world'];
    const run = await runLifecycle({
      hooks: { postTraffic: { answer: 'callback', afterSeconds: 60, status: 'Failed' } },
      setup: (w) => {
        world = w;
      },
      options: {
        wrapTask: (name, handler) =>
          name === 'PostTrafficFailed'
            ? async (input) => {
                world.lambda.changeAliasExternally('orders', 'live', { functionVersion: '2' }, 'an operator');
                return handler(input);
              }
            : handler,
      },
    });
    expect(run.result.error?.Error).toBe('AliasDrift');
    expect(world.lambda.aliasChanges.at(-1)?.by).toBe('an operator');
  });
});

describe('onRollback', () => {
  it('passing: told once the alias is back on the baseline, with the reason', async () => {
    const run = await runLifecycle({ world: { target: crashing }, hooks: { onRollback: { answer: 'succeed' } } });
    expect(run.result.error?.Error).toBe('RolloutRolledBack');
    expect(run.hookCalls).toEqual([expect.objectContaining({ hook: 'onRollback', answer: 'Succeeded' })]);
    expect(run.hookCalls[0]!.atSeconds).toBe(run.writeTimes.at(-1));
  });

  it.each([
    ['failing', { answer: 'fail', reason: 'pager down' } as const, 'the onRollback hook onRollback-hook failed: pager down; the rollback stands'],
    ['silent', { answer: 'timeout', timeoutSeconds: 60 } as const, 'the onRollback hook onRollback-hook gave no answer within 60s; the rollback stands'],
  ])('%s: reported at the ending, never undoing or blocking the rollback', async (_, script, note) => {
    const run = await runLifecycle({ world: { target: crashing }, hooks: { onRollback: script } });
    expect(run.result.error?.Error).toBe('RolloutRolledBack');
    expect(run.alias).toMatchObject({ functionVersion: '1', routing: {} });
    expect(run.world.notifier.published.at(-1)).toMatchObject({ type: 'rolled_back', body: expect.objectContaining({ notes: [note] }) });
    expect((await run.record())?.reason).toContain(note);
    expect(await run.lock()).toBeUndefined();
  });

  it('calling back: the ending waits for the answer', async () => {
    const run = await runLifecycle({ world: { target: crashing }, hooks: { onRollback: { answer: 'callback', afterSeconds: 45 } } });
    expect(run.result.error?.Error).toBe('RolloutRolledBack');
    expect(run.result.endedAt - run.result.startedAt).toBe((run.writeTimes.at(-1)! + 45) * 1000);
  });

  it('is not asked when the rollout promotes', async () => {
    const run = await runLifecycle({ hooks: { onRollback: { answer: 'succeed' } } });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.hookCalls).toEqual([]);
  });
});

describe('the ready-made smoke test', () => {
  it('as preTraffic, refuses a target that fails its cases, before it serves anything', async () => {
    const run = await runLifecycle({ world: { target: crashing }, hooks: { preTraffic: { answer: 'smoke', payload: { cases: [{ payload: { path: '/health' } }] } } } });
    expect(run.result.error?.Error).toBe('RolloutRefused');
    expect(run.result.error?.Cause).toMatch(/^the preTraffic hook preTraffic-hook failed: 1 of 1 smoke test cases failed on version 2: case 1: function error \(Unhandled\)/);
    expect(run.world.traffic.totals()['2']?.requests ?? 0).toBe(0);
  });

  it('as postTraffic, passes a healthy target', async () => {
    const run = await runLifecycle({ hooks: { postTraffic: { answer: 'smoke' } } });
    expect(run.result.status).toBe('SUCCEEDED');
  });
});

describe('allowed hooks', () => {
  it('a hook that is not allowed is refused before anything changes', async () => {
    const run = await runLifecycle({ input: { hooks: { preTraffic: { function: 'anything-else' } } } });
    // Refused as a function outside allowedFunctions is: bad input, naming the field and the rule.
    expect(run.result.error).toEqual({
      Error: 'InvalidRolloutInput',
      Cause: "Invalid rollout input: hooks.preTraffic.function: function anything-else is not an allowed hook: this service allows none (the construct's allowedHooks is empty)",
    });
    expect(run.types).toEqual(['refused']);
  });
});
