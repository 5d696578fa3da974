/**
 * Long rollouts through the real workflow: a bake of a month runs to its end within Step
 * Functions' 25,000-event history by continuing in new executions, each of which takes the
 * rollout's lock and record over; nothing a person or the API follows loses the rollout.
 */
import { describe, expect, it } from 'vitest';
import { CONTINUE_AT_EVENTS, continuationInput, MAX_HISTORY_EVENTS } from '../../functions/core/continuation.js';
import type { RolloutState } from '../../functions/core/state.js';
import type { EventLog, RunWorkflowOptions } from '../../sim/runner.js';
import type { TaskHandler } from '../../sim/tasks.js';
import { SimWorld, type WorldOptions } from '../../sim/world.js';
import { runLifecycle } from '../support/lifecycle.js';

const DAY = 86_400;
const healthy = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const crashing = { errorRate: 1, p50Ms: 40, p99Ms: 200 };

/** States entered, by execution. */
function stateNames() {
  const byExecution = new Map<string, string[]>();
  const onEvent = (event: EventLog, execution: string) => {
    if (event.type !== 'StateEntered') return;
    const names = byExecution.get(execution) ?? [];
    names.push((event as { state: { name: string } }).state.name);
    byExecution.set(execution, names);
  };
  return { byExecution, onEvent };
}

/** Fails the first two calls of a state's task as throttled. */
function throttledTwice(state: string) {
  let calls = 0;
  return (name: string, handler: TaskHandler): TaskHandler =>
    name === state
      ? async (input) => {
          calls += 1;
          if (calls <= 2) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttled' });
          return handler(input);
        }
      : handler;
}

async function rehearse(input: object, world: Partial<WorldOptions> = {}, run: Partial<Omit<RunWorkflowOptions, 'input'>> = {}) {
  const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0, seed: 5, trafficSliceSeconds: 60, ...world });
  const names = stateNames();
  const result = await w.rehearse({ functionName: w.functionName, alias: w.alias, targetVersion: w.targetVersion, ...input }, { keepEvents: false, onEvent: names.onEvent, ...run });
  return { world: w, result, states: names.byExecution, types: w.notifier.published.map((n) => n.type) };
}

/**
 * A quiet function's month-long canary: no traffic reaches it, so every check is inconclusive
 * and, at the end of the bake, the policy lets it proceed. What is under test is the length:
 * about 2,900 checks at the default cadence.
 */
const monthLongCanary = {
  strategy: { type: 'canary', percent: 10, bakeSeconds: 30 * DAY },
  health: { metricDelaySeconds: 0, insufficientData: { maxHoldSeconds: 0, then: 'proceed' } },
};

describe('a 30-day canary', () => {
  it('is accepted, runs to its end, and no execution holds more than 25,000 history events', async () => {
    const { world, result, states, types } = await rehearse(monthLongCanary, { rate: 0 });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ outcome: 'promoted', rolloutId: 'rehearsal', finalAlias: { functionVersion: '2', routing: {} } });
    expect(result.endedAt - result.startedAt).toBe(30 * DAY * 1000);
    expect(world.aliasState).toMatchObject({ functionVersion: '2', routing: {} });

    const executions = result.executions;
    expect(executions.map((e) => e.executionName)).toEqual(['rehearsal', 'rehearsal-c1']);
    for (const e of executions) expect(e.historyEvents).toBeLessThan(MAX_HISTORY_EVENTS);
    expect(executions[0]!.historyEvents).toBeGreaterThan(CONTINUE_AT_EVENTS);
    // 60 checks in the first hour, then one every 15 minutes: 2,936 in all.
    expect(executions.flatMap((e) => states.get(e.executionName) ?? []).filter((s) => s === 'CheckHealth')).toHaveLength(2936);

    // The first execution hands over and ends without an ending; the next resumes at its bake.
    expect(executions[0]).toMatchObject({ status: 'SUCCEEDED', output: { rolloutId: 'rehearsal', executionName: 'rehearsal-c1', executionArn: executions[1]!.executionArn } });
    expect(states.get('rehearsal')!.slice(-3)).toEqual(['Decide', 'ContinueInNewExecution', 'ContinuedInNewExecution']);
    expect(states.get('rehearsal-c1')!.slice(0, 4)).toEqual(['NewOrContinued', 'ResumeContinuation', 'Resumed', 'Bake']);
    expect(states.get('rehearsal-c1')).not.toContain('Prepare');
    expect(states.get('rehearsal-c1')).not.toContain('AcquireLock');

    // One rollout for people and the registry: one start, one ending, and the record follows the execution running it.
    expect(types).toEqual(['started', 'shifted', 'verdict', 'promoted']);
    expect(await world.registry.get('rehearsal')).toMatchObject({ status: 'promoted', executionArn: executions[1]!.executionArn });
    expect(await world.registry.getLock('orders', 'live')).toBeUndefined();
    expect((await world.workflow.describe(executions[0]!.executionArn)).status).toBe('SUCCEEDED');
  });

  it('checked every minute throughout, as an operator may choose, it continues twice', async () => {
    const everyMinute = { ...monthLongCanary, strategy: { type: 'canary', percent: 10, bakeSeconds: 3 * DAY }, health: { ...monthLongCanary.health, longBakeCheckEverySeconds: 60 } };
    const { result, states } = await rehearse(everyMinute, { rate: 0 });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.executions.map((e) => e.executionName)).toEqual(['rehearsal', 'rehearsal-c1', 'rehearsal-c2']);
    for (const e of result.executions) expect(e.historyEvents).toBeLessThan(MAX_HISTORY_EVENTS);
    expect(result.executions.flatMap((e) => states.get(e.executionName) ?? []).filter((s) => s === 'CheckHealth')).toHaveLength(3 * 1440);
  });
});

describe("an execution's history", () => {
  it('is counted as Step Functions keeps it: each state entered and exited, each attempt of a task', async () => {
    // Started (1); 14 Choices, Summarize and Promoted (2 each); Prepare, AcquireLock, NotifyStarted,
    // VerifyTarget, Finalize, NotifyEnding, ReleaseLock (5 each); Succeeded (1).
    const { result } = await rehearse({ strategy: 'AllAtOnce' });
    expect(result.executions[0]!.historyEvents).toBe(1 + 16 * 2 + 7 * 5 + 1);
    // Two throttled attempts of Finalize add Scheduled, Started and Failed each.
    const { result: retried } = await rehearse({ strategy: 'AllAtOnce' }, {}, { wrapTask: throttledTwice('Finalize') });
    expect(retried.executions[0]!.historyEvents).toBe(1 + 16 * 2 + 7 * 5 + 1 + 2 * 3);
  });
});

describe('continuing in a new execution', () => {
  /** Makes a check count as if the execution's history were nearly full, once, at the given check. */
  const nearlyFullAt = (check: number) => {
    let checks = 0;
    return (name: string, handler: TaskHandler): TaskHandler =>
      name === 'CheckHealth'
        ? async (input) => {
            checks += 1;
            const state = input as RolloutState;
            return handler(checks === check ? { ...state, cursor: { ...state.cursor, historyEvents: CONTINUE_AT_EVENTS } } : state);
          }
        : handler;
  };

  /** What every check decided, as CheckHealth passed it on, without what only says which execution it ran in. */
  const decisions = () => {
    const checks: unknown[] = [];
    const onEvent = (event: EventLog) => {
      const exited = event as { type: string; state?: { name: string; output?: RolloutState } };
      if (exited.type !== 'StateExited' || exited.state?.name !== 'CheckHealth' || !exited.state.output) return;
      const { tally, history, cursor } = exited.state.output;
      const { historyEvents: _events, continueInNewExecution: _continue, ...decided } = cursor;
      checks.push({ tally, history, cursor: decided });
    };
    return { checks, onEvent };
  };

  it('a resumed execution judges exactly as an uninterrupted one: the same evidence, verdicts and ending', async () => {
    // A target that turns bad late in a two-hour canary, checked every minute and then every 15.
    const input = { strategy: { type: 'canary', percent: 10, bakeSeconds: 7200 }, health: { metricDelaySeconds: 0, minRequests: 50 } };
    const target = { ...healthy, changes: [{ atSeconds: 5400, errorRate: 0.2 }] };
    const straight = decisions();
    const uninterrupted = await rehearse(input, { target }, { onEvent: straight.onEvent });
    const resumed = decisions();
    const continued = await rehearse(input, { target }, { onEvent: resumed.onEvent, wrapTask: nearlyFullAt(30) });

    expect(uninterrupted.result.executions).toHaveLength(1);
    expect(continued.result.executions.map((e) => e.executionName)).toEqual(['rehearsal', 'rehearsal-c1']);
    expect(straight.checks.length).toBeGreaterThan(60);
    expect(resumed.checks).toEqual(straight.checks);
    expect(continued.result.error).toEqual(uninterrupted.result.error);
    expect(continued.result.error?.Error).toBe('RolloutRolledBack');
    expect(continued.result.endedAt).toBe(uninterrupted.result.endedAt);
    expect(continued.types).toEqual(uninterrupted.types);
    expect(continued.world.aliasState).toMatchObject({ functionVersion: '1', routing: {} });
  });

  it('keeps judging on the evidence carried since the first shift, and promotes from the new execution', async () => {
    const { world, result, types } = await rehearse({ strategy: 'Canary10Percent10Minutes', health: { metricDelaySeconds: 0 } }, {}, { wrapTask: nearlyFullAt(4) });
    expect(result.executions.map((e) => [e.executionName, e.status])).toEqual([
      ['rehearsal', 'SUCCEEDED'],
      ['rehearsal-c1', 'SUCCEEDED'],
    ]);
    expect(result.output).toMatchObject({ outcome: 'promoted' });
    expect(result.endedAt - result.startedAt).toBe(600_000);
    expect(types).toEqual(['started', 'shifted', 'verdict', 'promoted']);
    // The last check judged every minute since the shift, before and after the continuation.
    const step = result.output!.steps[0]!;
    expect(step.checks).toBe(10);
    expect(step.target!.invocations).toBeGreaterThan(2400);
    expect(world.lambda.aliasChanges.filter((c) => c.by === 'rollout').map((c) => c.at - world.startTime)).toEqual([0, 600_000]);
    expect((await world.registry.get('rehearsal'))?.lastCheck).toMatchObject({ verdict: 'healthy', next: 'promote' });
  });

  it('a crash after the continuation is rolled back by the new execution, which frees the alias', async () => {
    const target = { ...healthy, changes: [{ atSeconds: 300, errorRate: 1 }] };
    const { world, result, types } = await rehearse({ strategy: 'Canary10Percent10Minutes', health: { metricDelaySeconds: 0 } }, { target }, { wrapTask: nearlyFullAt(2) });
    expect(result.executions).toHaveLength(2);
    expect(result.error?.Error).toBe('RolloutRolledBack');
    expect(world.aliasState).toMatchObject({ functionVersion: '1', routing: {} });
    expect(types.at(-1)).toBe('rolled_back');
    expect(await world.registry.get('rehearsal')).toMatchObject({ status: 'rolled_back', executionArn: result.executions[1]!.executionArn });
    expect(await world.registry.getLock('orders', 'live')).toBeUndefined();
  });

  it('a start that keeps failing bakes on in the same execution and tries again at the next check', async () => {
    let failures = 0;
    const wrapTask = (name: string, handler: TaskHandler): TaskHandler => {
      const near = nearlyFullAt(3)(name, handler);
      return name === 'ContinueInNewExecution'
        ? async (input) => {
            failures += 1;
            if (failures <= 7) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttled' });
            return handler(input);
          }
        : near;
    };
    const { result } = await rehearse({ strategy: 'Canary10Percent10Minutes', health: { metricDelaySeconds: 0 } }, {}, { wrapTask });
    expect(result.status).toBe('SUCCEEDED');
    expect(failures).toBe(8);
    expect(result.executions.map((e) => e.executionName)).toEqual(['rehearsal', 'rehearsal-c1']);
  });

  it('a continuation of an execution that never ran (nor held the lock) is refused and touches nothing', async () => {
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0, trafficSliceSeconds: 60 });
    await w.registry.acquire({ functionName: 'orders', alias: 'live', rolloutId: 'other', executionArn: w.workflow.executionArnFor('other'), targetVersion: '2', startedAt: new Date(w.startTime).toISOString(), status: 'running', startedBy: 'x', at: new Date(w.startTime).toISOString() });
    const before = w.aliasState;
    const forged = {
      rollout: { id: 'forged', executionArn: 'x', functionName: 'orders', alias: 'live', baselineVersion: '1', targetVersion: '2', plan: { strategy: 'canary', steps: [{ weightPercent: 50, bakeSeconds: 60 }], totalBakeSeconds: 60 }, health: {}, notifications: {}, startedAt: new Date(w.startTime).toISOString() },
      alias: { functionVersion: '1', routing: {}, revisionId: before.revisionId },
      cursor: { step: 0, weightPercent: 50, bakeSeconds: 60, next: 'shift', heldSeconds: 0, waitSeconds: 1 },
      history: [],
      continuation: { number: 1, from: w.workflow.executionArnFor('somebody') },
    };
    const result = await w.rehearse(forged, { executionName: 'forged-c1' });
    expect(result.error?.Error).toBe('RolloutRefused');
    expect(result.error?.Cause).toBe(`rollout forged cannot resume: the execution it continues, ${w.workflow.executionArnFor('somebody')}, does not exist`);
    expect(w.aliasState).toEqual(before);
    expect(await w.registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'other' });
    expect(w.notifier.subjects).toEqual([expect.stringMatching(/^lambda-rollout orders:live refused: rollout forged cannot resume/)]);
  });

  /** 10% for two minutes, then 50% for two minutes, then promotion. */
  const twoSteps = { type: 'steps', steps: [{ weightPercent: 10, bakeSeconds: 120 }, { weightPercent: 50, bakeSeconds: 120 }] };

  it('a rollout waiting at a gate continues in a new execution, which holds the gate and hears an approval sent after the hand-over', async () => {
    const names = stateNames();
    // The fourth check (at 240 s) finds the history nearly full while the rollout waits at the gate.
    const run = await runLifecycle({
      input: { strategy: twoSteps, gates: [{ before: 2, timeoutSeconds: 3600 }] },
      acts: [{ atSeconds: 400, action: 'approve', body: { reason: 'dashboards look fine' } }],
      options: { wrapTask: nearlyFullAt(4), onEvent: names.onEvent, keepEvents: false },
    });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.result.executions.map((e) => [e.executionName, e.status])).toEqual([
      ['rehearsal', 'SUCCEEDED'],
      ['rehearsal-c1', 'SUCCEEDED'],
    ]);
    expect(names.byExecution.get('rehearsal')).toContain('AwaitControl');
    expect(names.byExecution.get('rehearsal')!.slice(-2)).toEqual(['ContinueInNewExecution', 'ContinuedInNewExecution']);
    expect(names.byExecution.get('rehearsal-c1')).toContain('AwaitControl');
    // The approval reached the new execution's wait, and the rollout moved the moment it came.
    expect(run.answers).toEqual([expect.objectContaining({ atSeconds: 400, statusCode: 202, body: expect.objectContaining({ gate: 'step-2', woke: true }) })]);
    expect(run.weights).toEqual(['1+2@10', '1+2@50', '2']);
    expect(run.writeTimes).toEqual([0, 400, 520]);
    expect(run.types.filter((t) => t === 'gate')).toHaveLength(1);
    expect(await run.world.registry.get('rehearsal')).toMatchObject({ status: 'promoted', executionArn: run.result.executions[1]!.executionArn });
  });

  it('a paused rollout continues in a new execution, and a resume sent after the hand-over reaches it', async () => {
    const names = stateNames();
    const run = await runLifecycle({
      acts: [
        { atSeconds: 100, action: 'pause', body: { reason: 'incident elsewhere' } },
        { atSeconds: 900, action: 'resume' },
      ],
      options: { wrapTask: nearlyFullAt(8), onEvent: names.onEvent, keepEvents: false },
    });
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.result.executions.map((e) => e.executionName)).toEqual(['rehearsal', 'rehearsal-c1']);
    expect(names.byExecution.get('rehearsal-c1')).toContain('AwaitControl');
    expect(run.answers.map((a) => [a.statusCode, a.body.woke])).toEqual([
      [202, false],
      [202, true],
    ]);
    expect(run.writeTimes).toEqual([0, 900]);
    expect(run.alias).toMatchObject({ functionVersion: '2', routing: {} });
  });

  /**
   * Someone allowed to StartExecution sees a rollout about to continue (its execution's ARN and
   * its rollout id are in the console) and starts a continuation of their own first.
   */
  const forgingAt = (forge: (state: RolloutState, from: string) => { name: string; input: object }, world: () => SimWorld) => {
    let forged: string | undefined;
    const near = nearlyFullAt(4);
    return {
      forged: () => forged,
      wrapTask: (name: string, handler: TaskHandler): TaskHandler =>
        name === 'ContinueInNewExecution'
          ? async (event: { state: RolloutState; execution: { id: string } }) => {
              if (!forged) {
                const { name: forgedName, input } = forge(event.state, event.execution.id);
                forged = (await world().workflow.start(forgedName, input)).executionArn;
              }
              return handler(event);
            }
          : near(name, handler),
    };
  };

  it('a continuation forged under another name is refused, and the rollout goes on untouched in its own continuation', async () => {
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0, seed: 5, trafficSliceSeconds: 60 });
    // The very input the workflow hands over, under a name of the forger's choosing.
    const forgery = forgingAt((state, from) => ({ name: 'rehearsal-mine', input: continuationInput(state, from) }), () => w);
    const result = await w.rehearse({ functionName: w.functionName, alias: w.alias, targetVersion: w.targetVersion, strategy: 'Canary10Percent10Minutes', health: { metricDelaySeconds: 0 } }, { keepEvents: false, wrapTask: forgery.wrapTask });
    await w.workflow.settled();
    const forged = await w.workflow.describe(forgery.forged()!);
    expect(forged).toMatchObject({
      status: 'FAILED',
      error: 'RolloutRefused',
      cause: expect.stringContaining(`may not resume: the execution it continues hands over to ${w.workflow.executionArnFor('rehearsal-c1')}, not to this execution (${forgery.forged()})`),
    });
    expect(w.notifier.published.filter((n) => n.type === 'refused').map((n) => n.subject)).toEqual([expect.stringContaining('continuation 1 of rollout rehearsal may not resume')]);
    // The real rollout continued in its own execution and promoted from it; the forger changed nothing.
    const real = result.executions.find((e) => e.executionName === 'rehearsal-c1');
    expect(real?.status).toBe('SUCCEEDED');
    expect(await w.registry.get('rehearsal')).toMatchObject({ status: 'promoted', executionArn: real!.executionArn });
    expect(w.lambda.aliasChanges.filter((c) => c.by === 'rollout').map((c) => c.at - w.startTime)).toEqual([0, 600_000]);
    expect(w.aliasState).toMatchObject({ functionVersion: '2', routing: {} });
    expect(await w.registry.getLock('orders', 'live')).toBeUndefined();
  });

  it('a continuation forged under the expected name with another state is refused, and the rollout bakes on and ends in its own execution', async () => {
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0, seed: 5, trafficSliceSeconds: 60 });
    // A lenient policy and a cursor at its last step, under the name the workflow will use.
    const forgery = forgingAt(
      (state, from) => ({
        name: 'rehearsal-c1',
        input: continuationInput({ ...state, rollout: { ...state.rollout, health: { ...state.rollout.health, minRequests: 1 } }, cursor: { ...state.cursor, final: true } }, from),
      }),
      () => w,
    );
    const result = await w.rehearse({ functionName: w.functionName, alias: w.alias, targetVersion: w.targetVersion, strategy: 'Canary10Percent10Minutes', health: { metricDelaySeconds: 0 } }, { keepEvents: false, wrapTask: forgery.wrapTask });
    await w.workflow.settled();
    const [first] = result.executions;
    // The name was taken: the real execution did not hand over; it baked on, retrying, and promoted itself.
    expect(first).toMatchObject({ executionName: 'rehearsal', status: 'SUCCEEDED' });
    expect(first!.output).toMatchObject({ outcome: 'promoted' });
    expect(await w.registry.get('rehearsal')).toMatchObject({ status: 'promoted', executionArn: first!.executionArn });
    expect(w.lambda.aliasChanges.filter((c) => c.by === 'rollout').map((c) => c.at - w.startTime)).toEqual([0, 600_000]);
    // The forgery resumed nothing and changed nothing.
    expect(await w.workflow.describe(forgery.forged()!)).toMatchObject({ status: 'FAILED', error: 'RolloutRefused', cause: expect.stringContaining('may not resume') });
    expect(w.notifier.published.filter((n) => n.type === 'refused').map((n) => n.subject)).toEqual([expect.stringContaining('continuation 1 of rollout rehearsal may not resume')]);
    expect(w.aliasState).toMatchObject({ functionVersion: '2', routing: {} });
    expect(await w.registry.getLock('orders', 'live')).toBeUndefined();
  });

  it("an input that claims a running rollout for a function outside the allowed ones is refused, and the guard leaves that rollout alone", async () => {
    const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0, trafficSliceSeconds: 60 });
    const holder = w.workflow.executionArnFor('other');
    const at = new Date(w.startTime).toISOString();
    await w.registry.acquire({ functionName: 'orders', alias: 'live', rolloutId: 'other', executionArn: holder, targetVersion: '2', startedAt: at, status: 'running', startedBy: 'x', at });
    const before = w.aliasState;
    const forged = {
      rollout: { id: 'other', executionArn: holder, functionName: 'payments', alias: 'live', baselineVersion: '1', targetVersion: '2', plan: { strategy: 'canary', steps: [{ weightPercent: 50, bakeSeconds: 60 }], totalBakeSeconds: 60 }, health: {}, notifications: {}, startedAt: at },
      alias: { functionVersion: '1', routing: {}, revisionId: before.revisionId },
      cursor: { step: 0, weightPercent: 50, bakeSeconds: 60, next: 'shift', heldSeconds: 0, waitSeconds: 1 },
      history: [],
      continuation: { number: 1, from: holder },
    };
    await w.workflow.start('other-c1', forged);
    await w.workflow.settled();
    const forgedArn = w.workflow.executionArnFor('other-c1');
    expect(await w.workflow.describe(forgedArn)).toMatchObject({ status: 'FAILED', error: 'InvalidRolloutInput', cause: expect.stringContaining('rollout.functionName: function payments is not one of the allowed functions (orders)') });
    // The guard acts for the execution that stopped, never for the rollout it claimed to continue.
    expect(w.workflow.guarded).toEqual([expect.objectContaining({ executionArn: forgedArn, action: 'untouched', recorded: false, lockReleased: false })]);
    expect(await w.registry.get('other')).toMatchObject({ status: 'running', executionArn: holder });
    expect(await w.registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'other', executionArn: holder });
    expect(w.aliasState).toEqual(before);
  });
});
