/**
 * People in the loop, in the real workflow: approval gates (approved, rejected, timed out), pause
 * and resume, promote now (with and without the remaining checks), and retry of a rollout that
 * ended. Requests go through the same code as the API's routes, at given moments of virtual time.
 */
import { describe, expect, it } from 'vitest';
import { parseRolloutInput } from '../../functions/core/input.js';
import { homeOf } from '../../functions/core/scope.js';
import { makeApi } from '../../functions/tasks/api.js';
import { InMemoryIdempotencyStore } from '../../sim/registry.js';
import { FakeWorkflow } from '../unit/support/fake-workflow.js';
import { ALICE, crashing, healthy, runLifecycle } from '../support/lifecycle.js';

/** 10% for two minutes, then 50% for two minutes, then promotion. */
const twoSteps = { type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 120 }, { weightPercent: 50, bakeSeconds: 120 }] };

describe('an approval gate before a step', () => {
  const gated = (gate: object = {}) => ({ strategy: twoSteps, gates: [{ before: 2, ...gate }] });

  it('holds at the current weight, says so with the routes to call, and moves the moment it is approved', async () => {
    const run = await runLifecycle({ input: gated(), acts: [{ atSeconds: 400, action: 'approve', body: { reason: 'dashboards look fine' } }] });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.weights).toEqual(['1+2@10', '1+2@50', '2']);
    expect(run.writeTimes).toEqual([0, 400, 520]);
    expect(run.answers).toEqual([expect.objectContaining({ atSeconds: 400, action: 'approve', statusCode: 202, body: expect.objectContaining({ gate: 'step-2', woke: true }) })]);
    const gate = run.world.notifier.published.find((n) => n.type === 'gate');
    expect(gate?.subject).toBe('lambda-rollout orders:live v2 waits at gate step-2 for approval, at 10%');
    expect(gate?.body).toMatchObject({ waitingFor: { gate: 'step-2', approve: 'POST /rollouts/rehearsal/approve', reject: 'POST /rollouts/rehearsal/reject', onTimeout: 'rollback' } });
    expect((await run.world.controls.get('rehearsal'))?.decisions['step-2']).toMatchObject({ decision: 'approved', by: ALICE, reason: 'dashboards look fine' });
  });

  it('rejected: rolls back at once, saying who and why', async () => {
    const run = await runLifecycle({ input: gated(), acts: [{ atSeconds: 300, action: 'reject', body: { reason: 'latency creeping up' } }] });
    expect(run.result.error).toEqual({ Error: 'RolloutRolledBack', Cause: `gate step-2 was rejected by ${ALICE}: latency creeping up` });
    expect(run.weights).toEqual(['1+2@10', '1']);
    expect(run.writeTimes).toEqual([0, 300]);
  });

  it('timed out: rolls back by default', async () => {
    const run = await runLifecycle({ input: gated({ timeoutSeconds: 300 }) });
    expect(run.result.error).toEqual({ Error: 'RolloutRolledBack', Cause: 'gate step-2 was not decided within 300s' });
    expect(run.writeTimes).toEqual([0, 420]);
  });

  it('timed out with onTimeout proceed: goes on', async () => {
    const run = await runLifecycle({ input: gated({ timeoutSeconds: 300, onTimeout: 'proceed' }) });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.writeTimes).toEqual([0, 420, 540]);
  });

  it('keeps checking while it waits: an unhealthy target still rolls back', async () => {
    const run = await runLifecycle({ input: gated(), world: { target: { ...healthy, changes: [{ atSeconds: 200, errorRate: 1 }] } } });
    expect(run.result.error?.Error).toBe('RolloutRolledBack');
    expect(run.result.error?.Cause).toMatch(/^(most requests fail|errors \d+x the baseline's rate)/);
    expect(run.writeTimes.at(-1)).toBeLessThan(300);
  });

  it('refuses an approval when nothing waits, or for another gate, with the rollout\'s status', async () => {
    const run = await runLifecycle({
      input: gated(),
      acts: [
        { atSeconds: 30, action: 'approve' },
        { atSeconds: 200, action: 'approve', body: { gate: 'promotion' } },
        { atSeconds: 210, action: 'approve' },
        { atSeconds: 220, action: 'reject', body: { reason: 'too late' } },
      ],
    });
    expect(run.answers.map((a) => [a.statusCode, a.body.error ?? a.body.gate])).toEqual([
      [409, 'rollout rehearsal is not waiting at a gate (the target has 10%)'],
      [409, 'rollout rehearsal waits at gate step-2, not promotion'],
      [202, 'step-2'],
      // Approved, the rollout moved on at once: there is no gate to reject any more.
      [409, 'rollout rehearsal is not waiting at a gate (the target has 50%)'],
    ]);
    expect(run.answers[0]!.body.status).toBe('running');
    expect(run.result.status).toBe('SUCCEEDED');
  });
});

describe('an approval gate before promotion', () => {
  const gated = (gate: object = {}) => ({ gates: [{ before: 'promotion', ...gate }] });

  it('approved: promotes the moment it is approved', async () => {
    const run = await runLifecycle({ input: gated(), acts: [{ atSeconds: 500, action: 'approve' }] });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.weights).toEqual(['1+2@10', '2']);
    expect(run.writeTimes).toEqual([0, 500]);
  });

  it('rejected: rolls back', async () => {
    const run = await runLifecycle({ input: gated(), acts: [{ atSeconds: 500, action: 'reject', body: { reason: 'not today' } }] });
    expect(run.result.error?.Cause).toBe(`gate promotion was rejected by ${ALICE}: not today`);
    expect(run.alias).toMatchObject({ functionVersion: '1', routing: {} });
  });

  it('timed out: rolls back', async () => {
    const run = await runLifecycle({ input: gated({ timeoutSeconds: 600 }) });
    expect(run.result.error?.Cause).toBe('gate promotion was not decided within 600s');
    expect(run.writeTimes).toEqual([0, 900]);
  });
});

describe('pause and resume', () => {
  it('holds at the current weight past the bake until resumed, then moves at once', async () => {
    const run = await runLifecycle({
      acts: [
        { atSeconds: 50, action: 'resume' },
        { atSeconds: 100, action: 'pause', body: { reason: 'incident elsewhere' } },
        { atSeconds: 150, action: 'pause' },
        { atSeconds: 700, action: 'resume' },
      ],
    });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.writeTimes).toEqual([0, 700]);
    expect(run.answers.map((a) => a.statusCode)).toEqual([409, 202, 409, 202]);
    expect(run.answers[0]!.body.error).toBe('rollout rehearsal is not paused');
    expect(run.answers[2]!.body.error).toBe(`rollout rehearsal is already paused (by ${ALICE} at 2026-01-05T10:01:40.000Z)`);
    expect(run.answers[3]!.body).toMatchObject({ woke: true });
    expect(run.types).toContain('paused');
  });

  it('at a gate: an approval while paused is kept, and acted on at the resume', async () => {
    const run = await runLifecycle({
      input: { gates: [{ before: 'promotion', timeoutSeconds: 600 }] },
      acts: [
        { atSeconds: 330, action: 'pause' },
        { atSeconds: 400, action: 'approve' },
        { atSeconds: 1200, action: 'resume' },
      ],
    });
    expect(run.answers.map((a) => a.statusCode)).toEqual([202, 202, 202]);
    expect(run.result.status).toBe('SUCCEEDED');
    // Paused, the gate neither times out (at 900 s) nor lets the approval promote before the resume.
    expect(run.writeTimes).toEqual([0, 1200]);
  });

  it('keeps automatic rollback armed while paused', async () => {
    const run = await runLifecycle({ world: { target: { ...healthy, changes: [{ atSeconds: 400, errorRate: 1 }] } }, acts: [{ atSeconds: 100, action: 'pause' }] });
    expect(run.result.error?.Error).toBe('RolloutRolledBack');
    expect(run.alias).toMatchObject({ functionVersion: '1', routing: {} });
  });
});

describe('promote now', () => {
  it('full (default): to 100% at the next check, skipping the remaining steps', async () => {
    const run = await runLifecycle({ input: { strategy: 'Linear10PercentEvery1Minute' }, acts: [{ atSeconds: 150, action: 'promote', body: { reason: 'hotfix' } }] });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.weights).toEqual(['1+2@10', '1+2@20', '1+2@30', '2']);
    expect(run.writeTimes.at(-1)).toBe(180);
    expect(run.result.output?.reason).toBe(`v2 serves 100% of live: promoted by ${ALICE} (hotfix); skipping the remaining steps`);
  });

  it('full: false: to 100% now, then the remaining checks run at 100%', async () => {
    const run = await runLifecycle({
      input: { strategy: 'Canary10Percent5Minutes', finalBakeSeconds: 60 },
      world: { historySeconds: 3600 },
      acts: [{ atSeconds: 60, action: 'promote', body: { full: false } }],
    });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.writeTimes).toEqual([0, 60]);
    // The canary had 240 s of its bake left: the final bake lasts that long, not just finalBakeSeconds.
    expect(run.result.endedAt - run.result.startedAt).toBe(300_000);
    const final = run.result.output?.steps.at(-1);
    expect(final).toMatchObject({ weightPercent: 100, final: true, verdict: 'healthy', checks: 4 });
  });

  it('full: false with no final bake in the input: the baseline before the rollout is read after promotion, and the remaining checks judge against it', async () => {
    const run = await runLifecycle({
      input: { strategy: 'Canary10Percent5Minutes' },
      world: { historySeconds: 3600 },
      acts: [{ atSeconds: 60, action: 'promote', body: { full: false } }],
    });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.writeTimes).toEqual([0, 60]);
    const final = run.result.output?.steps.at(-1);
    expect(final).toMatchObject({ weightPercent: 100, final: true, verdict: 'healthy' });
    expect(final?.reason).toContain('in the hour before the rollout');
  });

  it('is refused once the rollout is at 100%, or asked twice', async () => {
    const run = await runLifecycle({
      input: { finalBakeSeconds: 120 },
      world: { historySeconds: 3600 },
      acts: [{ atSeconds: 50, action: 'promote', body: { full: false } }, { atSeconds: 55, action: 'promote' }, { atSeconds: 200, action: 'promote' }],
    });
    expect(run.answers.map((a) => a.statusCode)).toEqual([202, 409, 409]);
    expect(run.answers[1]!.body.error).toBe(`rollout rehearsal is already being promoted (asked by ${ALICE} at 2026-01-05T10:00:50.000Z)`);
    expect(run.answers[2]!.body.error).toBe('rollout rehearsal is already at 100%');
  });
});

describe('retry', () => {
  it('starts a rolled-back rollout again with the same input, under a new id, taking the lock again', async () => {
    const first = await runLifecycle({ input: { strategy: 'Linear10PercentEvery1Minute', rolloutId: 'r-1' }, world: { target: crashing } });
    expect(first.result.error?.Error).toBe('RolloutRolledBack');
    const { world } = first;
    const workflow = new FakeWorkflow(() => world.startTime + 3_600_000);
    const record = (await world.registry.get('r-1'))!;
    const firstInput = { ...parseRolloutInput({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Linear10PercentEvery1Minute', health: { metricDelaySeconds: 0 } }).input, rolloutId: 'r-1' };
    workflow.put(record.executionArn, { status: 'FAILED', input: firstInput });
    const api = makeApi({
      registry: world.registry,
      idempotency: new InMemoryIdempotencyStore(),
      workflow,
      controls: world.controls,
      tokens: world.tokens,
      clock: { now: () => world.startTime + 3_600_000 },
      scope: { allowedFunctions: ['orders'], home: homeOf(record.executionArn)! },
      ids: { newId: () => 'retry00000001' },
    });
    const res = await api({
      httpMethod: 'POST',
      path: '/rollouts/r-1/retry',
      resource: '/rollouts/{id}/retry',
      pathParameters: { id: 'r-1' },
      headers: {},
      body: '{}',
      requestContext: { identity: { userArn: ALICE }, stage: 'v1', requestId: 'req-1' },
    } as never);
    expect(res.statusCode).toBe(202);
    const answer = JSON.parse(res.body);
    expect(answer).toMatchObject({ rolloutId: 'orders-live-v2-retry00000001', retryOf: 'r-1' });
    const [, input] = workflow.calls.find((c) => c.op === 'start')?.args ?? [];
    expect(input).toEqual({ ...firstInput, rolloutId: 'orders-live-v2-retry00000001' });
    expect(await world.registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'orders-live-v2-retry00000001', status: 'pending' });
    // The retried execution runs the real workflow like any start, here against a fixed target.
    const fixed = await runLifecycle({ input: input as object });
    expect(fixed.result.status).toBe('SUCCEEDED');
  });
});
