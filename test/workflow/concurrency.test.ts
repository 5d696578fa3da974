/**
 * Provisioned concurrency in the real workflow: added on the target before the first shift and
 * ready before any traffic moves, removed at every ending, refused (changing nothing) when the
 * account cannot hold it; and what the start notification says about event sources.
 */
import { describe, expect, it } from 'vitest';
import type { SimWorld } from '../../sim/world.js';
import { crashing, healthy, runLifecycle } from '../support/lifecycle.js';

/** The alias has 20 provisioned; warming up takes 40 s. */
const aliasProvisioned = (w: SimWorld) => {
  w.lambda.provision('orders', 'live', 20);
  w.lambda.setConcurrency({ warmupSeconds: 40 });
};

describe('provisioned concurrency on the target', () => {
  it('follows the alias: requested before the first shift, which waits until it is READY; removed after promotion', async () => {
    const run = await runLifecycle({ setup: aliasProvisioned });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.provisioned).toEqual([
      { atSeconds: 0, qualifier: '2', executions: 20 },
      { atSeconds: 345, qualifier: '2', executions: 0 },
    ]);
    // Looked at every 15 s: READY at 40 s, seen at 45 s, when the first weight moves.
    expect(run.writeTimes).toEqual([45, 345]);
    expect(run.world.lambda.peekProvisioned('orders', 'live')).toMatchObject({ requested: 20 });
    expect(run.world.lambda.peekProvisioned('orders', '2')).toBeUndefined();
    const started = run.world.notifier.published.find((n) => n.type === 'started');
    expect(started?.body).toMatchObject({ provisionedConcurrency: { executions: 20, source: 'alias', status: 'wanted' } });
  });

  it('takes the amount the input asks for; 0 asks for none', async () => {
    const five = await runLifecycle({ input: { provisionedConcurrency: 5 } });
    expect(five.provisioned.map((p) => p.executions)).toEqual([5, 0]);
    const none = await runLifecycle({ input: { provisionedConcurrency: 0 }, setup: aliasProvisioned });
    expect(none.provisioned).toEqual([]);
    expect(none.writeTimes).toEqual([0, 300]);
  });

  it.each([
    ['a rollback', { world: { target: crashing } }, 'RolloutRolledBack'],
    ['a rejected gate', { input: { gates: [{ before: 'promotion' }] }, acts: [{ atSeconds: 400, action: 'reject' as const, body: { reason: 'no' } }] }, 'RolloutRolledBack'],
    ['a rollback after promotion', { input: { finalBakeSeconds: 600 }, world: { historySeconds: 3600, target: { ...healthy, changes: [{ atSeconds: 500, errorRate: 0.5 }] } } }, 'RolloutRolledBack'],
    ['a failed postTraffic hook', { hooks: { postTraffic: { answer: 'fail' as const } } }, 'RolloutRolledBack'],
    ['drift', { world: { target: crashing } }, 'AliasDrift'],
  ])('is removed at the ending after %s', async (_, run, error) => {
    let world!: SimWorld;
    const drift = error === 'AliasDrift';
    const result = await runLifecycle({
      ...run,
      setup: (w) => {
        world = w;
        aliasProvisioned(w);
      },
      options: {
        // Someone else moves the alias right before the rollback.
        wrapTask: (name, handler) =>
          drift && name === 'Rollback'
            ? async (input) => {
                world.lambda.changeAliasExternally('orders', 'live', { functionVersion: '1', routing: { '2': 50 } }, 'an operator');
                return handler(input);
              }
            : handler,
      },
    });
    expect(result.result.error?.Error).toBe(error);
    expect(result.provisioned.map((p) => p.executions)).toEqual([20, 0]);
    expect(result.world.lambda.peekProvisioned('orders', '2')).toBeUndefined();
    expect(result.world.lambda.peekProvisioned('orders', 'live')).toMatchObject({ requested: 20 });
  });

  it('is removed even when the rollback itself failed (the lock stays for the guard)', async () => {
    let world!: SimWorld;
    const run = await runLifecycle({
      world: { target: crashing },
      setup: (w) => {
        world = w;
        aliasProvisioned(w);
      },
      options: {
        wrapTask: (name, handler) =>
          name === 'Rollback'
            ? async () => {
                world.lambda.injectFault('getAlias', () => Object.assign(new Error('AccessDenied'), { name: 'AwsRequestRejected' }), 100);
                throw Object.assign(new Error('AccessDenied'), { name: 'AwsRequestRejected' });
              }
            : handler,
      },
    });
    expect(run.result.error?.Error).toBe('RollbackFailed');
    expect(run.world.lambda.peekProvisioned('orders', '2')).toBeUndefined();
  });

  it('failing to become READY refuses the rollout before any traffic moves, and is removed', async () => {
    const run = await runLifecycle({
      setup: (w) => {
        aliasProvisioned(w);
        w.lambda.setConcurrency({ failWith: 'FUNCTION_ERROR_INIT_FAILURE: the init code threw' });
      },
    });
    expect(run.result.error).toEqual({
      Error: 'RolloutRefused',
      Cause: 'provisioned concurrency of 20 on version 2 failed: FUNCTION_ERROR_INIT_FAILURE: the init code threw; no traffic was moved',
    });
    expect(run.weights).toEqual([]);
    expect(run.provisioned.map((p) => p.executions)).toEqual([20, 0]);
  });

  it('not READY within 15 minutes refuses the rollout, and is removed', async () => {
    const run = await runLifecycle({ setup: (w) => { aliasProvisioned(w); w.lambda.setConcurrency({ warmupSeconds: 3600 }); } });
    expect(run.result.error?.Cause).toMatch(/^provisioned concurrency of 20 on version 2 was not ready after 9\d\ds \(0 allocated\); no traffic was moved$/);
    expect(run.weights).toEqual([]);
    expect(run.provisioned.map((p) => p.executions)).toEqual([20, 0]);
  });

  it.each([
    ['the function\'s reserved concurrency', { reserved: { orders: 30 } }, 'provisioned concurrency of 20 on the target does not fit: function orders has a reserved concurrency of 30 and already 20 provisioned'],
    ['the account\'s unreserved concurrency', { unreserved: 110 }, 'provisioned concurrency of 20 on the target does not fit: the account has 110 unreserved concurrency and Lambda keeps at least 100 unreserved'],
  ])('that %s cannot hold is refused before anything changes', async (_, settings, cause) => {
    const run = await runLifecycle({ setup: (w) => { aliasProvisioned(w); w.lambda.setConcurrency(settings); } });
    expect(run.result.error).toEqual({ Error: 'RolloutRefused', Cause: cause });
    expect(run.provisioned).toEqual([]);
    expect(run.weights).toEqual([]);
  });

  it('is not added when the target already has as much of its own (nothing to remove either)', async () => {
    const run = await runLifecycle({ setup: (w) => { aliasProvisioned(w); w.lambda.provision('orders', '2', 25); } });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.provisioned).toEqual([]);
    expect(run.world.lambda.peekProvisioned('orders', '2')).toMatchObject({ requested: 25 });
  });
});

describe('event sources', () => {
  it('the start notification says how weighted routing applies to the mappings that invoke the alias', async () => {
    const run = await runLifecycle({ setup: (w) => w.lambda.addEventSourceMapping('orders', 'live', 'arn:aws:sqs:us-east-1:123456789012:orders-queue') });
    const started = run.world.notifier.published.find((n) => n.type === 'started');
    expect(started?.body.eventSources).toBe(
      '1 event source mapping invokes this alias (arn:aws:sqs:us-east-1:123456789012:orders-queue, Enabled): the weights apply to each invocation, which carries a whole batch of records, so the target gets about its weight in batches, not in records, and a batch it fails is retried by the mapping on whichever version the next invocation reaches',
    );
  });
});
