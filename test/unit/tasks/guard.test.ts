/**
 * The guard, for each way an execution can stop without finishing its workflow: what happens to
 * the alias, the lock, the record, and who hears about it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { lockRequest, runningState, T0, executionArn, handOverTo, iso, CALLER } from '../support/rollouts.js';
import { FakeWorkflow } from '../support/fake-workflow.js';
import { SimLambda } from '../../../sim/lambda.js';
import { InMemoryRolloutRegistry } from '../../../sim/registry.js';
import { RecordingNotifier } from '../../../sim/notifier.js';
import type { Notification } from '../../../functions/core/notification.js';
import type { RolloutState } from '../../../functions/core/state.js';
import type { ExecutionStatusChange } from '../../../functions/core/guard.js';
import { makeGuard } from '../../../functions/tasks/guard.js';
import { makeAcquireLock } from '../../../functions/tasks/acquire-lock.js';
import { makeReleaseLock } from '../../../functions/tasks/release-lock.js';
import type { AliasUpdate } from '../../../functions/core/lambda-model.js';
import { RecordingMetrics } from '../../support/fakes.js';

const NOW = T0 + 300_000;
const clock = { now: () => NOW };
const ID = 'orders-live-v8-1a2b3c4d5e6f';
const ARN = executionArn(ID);

function statusChange(status: string, extra: Partial<ExecutionStatusChange['detail']> = {}): ExecutionStatusChange {
  return {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { executionArn: ARN, stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:lambda-rollout', name: ID, status, startDate: T0, stopDate: NOW, ...extra },
  };
}

let lambda: SimLambda;
let registry: InMemoryRolloutRegistry;
let workflow: FakeWorkflow;
let notifier: RecordingNotifier;
let events: Notification[];
let state: RolloutState;

const updates = () => lambda.calls.filter((c) => c.op === 'updateAlias').map((c) => c.args as AliasUpdate);
const guard = () => makeGuard({ registry, workflow, lambda, notifier, events: { publish: async (n) => void events.push(n) }, concurrency: lambda, clock });

beforeEach(async () => {
  lambda = new SimLambda({ now: () => NOW, region: 'eu-west-1' });
  lambda.createFunction('orders');
  for (let v = 1; v <= 8; v += 1) lambda.publishVersion('orders');
  // The rollout's last shift: v7 70% + v8 30%, at the revision its state recorded.
  const alias = lambda.addAlias('orders', 'live', '7', { '8': 30 });
  state = runningState({ alias: { revisionId: alias.revisionId } });
  registry = new InMemoryRolloutRegistry();
  await registry.acquire(lockRequest(ID, { status: 'pending', baselineVersion: undefined }));
  await makeAcquireLock({ registry, clock: { now: () => T0 } })(state);
  workflow = new FakeWorkflow(() => NOW);
  notifier = new RecordingNotifier();
  events = [];
});

describe('guard', () => {
  it('ABORTED while split: restores the baseline with the RevisionId it saw, releases the lock, records and announces it', async () => {
    workflow.put(ARN, { status: 'ABORTED', history: [state], error: 'RolloutAborted', cause: 'bad canary (aborted by alice)' });
    const result = await guard()(statusChange('ABORTED'));

    expect(updates()).toEqual([{ functionName: 'orders', alias: 'live', functionVersion: '7', routing: {}, revisionId: state.alias.revisionId }]);
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '7', routing: {} });
    expect(result).toMatchObject({ action: 'restored', endedAs: 'aborted', recorded: true, lockReleased: true, rolloutId: ID });
    expect(await registry.getLock('orders', 'live')).toBeUndefined();
    expect(await registry.get(ID)).toMatchObject({
      status: 'aborted',
      reason: 'execution aborted: bad canary (aborted by alice); alias live restored to v7',
      finalVersion: '7',
      startedBy: CALLER,
    });
    // Subjects are cut at SNS's 100 characters; the body has the whole reason.
    expect(notifier.subjects).toEqual(['lambda-rollout orders:live v8 aborted: execution aborted: bad canary (aborted by alice); alias li...']);
    expect(notifier.published[0]?.body).toMatchObject({ reason: 'execution aborted: bad canary (aborted by alice); alias live restored to v7' });
    expect(notifier.published[0]?.attributes).toMatchObject({ eventType: 'aborted', functionName: 'orders', alias: 'live', outcome: 'rolled_back' });
    expect(events[0]?.body).toMatchObject({ type: 'aborted', routing: 'v7 100%', rolloutId: ID });
  });

  it('ABORTED mid-shift: the write that landed without reaching the state is recognised as ours and undone', async () => {
    const before = runningState({ alias: { revisionId: lambda.peekAlias('orders', 'live').revisionId }, cursor: { step: 3, weightPercent: 40, next: 'shift' } });
    const landed = lambda.changeAliasExternally('orders', 'live', { functionVersion: '7', routing: { '8': 40 } }, 'rollout');
    workflow.put(ARN, { status: 'ABORTED', history: [before] });
    const result = await guard()(statusChange('ABORTED', { cause: 'stop' }));
    expect(result.action).toBe('restored');
    expect(updates()[0]?.revisionId).toBe(landed.revisionId);
    expect(lambda.peekAlias('orders', 'live').routing).toEqual({});
  });

  it('TIMED_OUT while split: restores, records timed_out and says it failed', async () => {
    workflow.put(ARN, { status: 'TIMED_OUT', history: [state] });
    const result = await guard()(statusChange('TIMED_OUT'));
    expect(result).toMatchObject({ action: 'restored', endedAs: 'timed_out' });
    expect(lambda.peekAlias('orders', 'live').routing).toEqual({});
    expect((await registry.get(ID))?.reason).toBe('execution timed out; alias live restored to v7');
    expect(notifier.subjects[0]).toBe('lambda-rollout orders:live v8 failed: States.Timeout');
  });

  it('FAILED after the workflow rolled back: the alias is whole, so it only makes sure the lock is released', async () => {
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '7' }, 'rollout');
    const rolledBack: RolloutState = { ...state, alias: { ...lambda.peekAlias('orders', 'live') }, outcome: { status: 'rolled_back', reason: 'errors 5x the baseline', at: iso(NOW), finalVersion: '7' } };
    workflow.put(ARN, { status: 'FAILED', history: [state, rolledBack], error: 'RolloutRolledBack', cause: 'errors 5x the baseline' });
    const result = await guard()(statusChange('FAILED', { error: 'RolloutRolledBack', cause: 'errors 5x the baseline' }));
    expect(updates()).toEqual([]);
    expect(result).toMatchObject({ action: 'already_whole', endedAs: 'rolled_back', lockReleased: true, notified: 'workflow already notified' });
    expect(notifier.published).toEqual([]);
    expect(await registry.getLock('orders', 'live')).toBeUndefined();
  });

  it('FAILED after ReleaseLock already ended the record: releases nothing twice and stays quiet', async () => {
    const rolledBack: RolloutState = { ...state, alias: { functionVersion: '7', routing: {}, revisionId: 'x' }, outcome: { status: 'rolled_back', reason: 'errors', at: iso(NOW), finalVersion: '7' } };
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '7' }, 'rollout');
    await makeReleaseLock({ registry, clock })(rolledBack);
    workflow.put(ARN, { status: 'FAILED', history: [rolledBack] });
    const result = await guard()(statusChange('FAILED', { error: 'RolloutRolledBack' }));
    expect(result).toMatchObject({ recorded: false, lockReleased: false, notified: 'already ended' });
    expect((await registry.get(ID))?.status).toBe('rolled_back');
  });

  it('FAILED after promotion (the lock could not be released): records the promotion, releases the lock', async () => {
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '8' }, 'rollout');
    const promoted: RolloutState = { ...state, alias: { ...lambda.peekAlias('orders', 'live') }, outcome: { status: 'promoted', reason: 'v8 serves 100% of live', at: iso(NOW), finalVersion: '8' } };
    workflow.put(ARN, { status: 'FAILED', history: [state, promoted] });
    const result = await guard()(statusChange('FAILED', { error: 'LockNotReleased', cause: 'The target was promoted to 100% of the alias, but the rollout registry could not be updated' }));
    expect(updates()).toEqual([]);
    expect(result).toMatchObject({ action: 'already_whole', endedAs: 'promoted', lockReleased: true, notified: 'workflow already notified' });
    expect(notifier.published).toEqual([]);
    expect(await registry.get(ID)).toMatchObject({ status: 'promoted', finalVersion: '8' });
  });

  it('ABORTED during the final bake: the promotion being verified is undone, with the RevisionId Finalize wrote', async () => {
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '8' }, 'rollout');
    const verifying: RolloutState = {
      ...state,
      alias: { ...lambda.peekAlias('orders', 'live') },
      cursor: { ...state.cursor, next: 'bake', final: true, weightPercent: 100 },
      outcome: { status: 'promoted', reason: 'v8 serves 100% of live', at: iso(NOW), finalVersion: '8' },
    };
    workflow.put(ARN, { status: 'ABORTED', history: [state, verifying], error: 'RolloutAborted', cause: 'too risky today' });
    const result = await guard()(statusChange('ABORTED'));
    expect(updates()).toEqual([{ functionName: 'orders', alias: 'live', functionVersion: '7', routing: {}, revisionId: verifying.alias.revisionId }]);
    expect(result).toMatchObject({ action: 'restored', endedAs: 'aborted' });
  });

  it('removes provisioned concurrency the rollout added on the target, and nothing when it added none', async () => {
    await lambda.putProvisioned('orders', '8', 20);
    const provisioned: RolloutState = { ...state, concurrency: { executions: 20, source: 'alias', status: 'ready', since: T0 } };
    workflow.put(ARN, { status: 'ABORTED', history: [provisioned], error: 'RolloutAborted' });
    expect(await guard()(statusChange('ABORTED'))).toMatchObject({ action: 'restored', concurrencyRemoved: true });
    expect(lambda.peekProvisioned('orders', '8')).toBeUndefined();
    expect(await guard()(statusChange('ABORTED'))).toMatchObject({ concurrencyRemoved: false });
  });

  it('drift: an alias someone else changed is never overwritten; it is reported', async () => {
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '6', routing: { '8': 50 } }, 'bob');
    workflow.put(ARN, { status: 'ABORTED', history: [state] });
    const result = await guard()(statusChange('ABORTED', { cause: 'stop' }));
    expect(updates()).toEqual([]);
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '6', routing: { '8': 50 } });
    expect(result).toMatchObject({ action: 'drift', endedAs: 'drift', lockReleased: true });
    expect((await registry.get(ID))?.reason).toContain('was changed by someone else');
    expect(notifier.published[0]?.attributes).toMatchObject({ eventType: 'drift', outcome: 'drift' });
    expect(notifier.subjects[0]).toBe('lambda-rollout orders:live v8 stopped: the alias was changed by someone else');
  });

  it("FAILED after the workflow reported drift: the other writer's split, which the state records as last seen, stays", async () => {
    const theirs = lambda.changeAliasExternally('orders', 'live', { functionVersion: '7', routing: { '8': 3 } }, 'bob');
    const drifted: RolloutState = {
      ...state,
      alias: { functionVersion: theirs.functionVersion, routing: theirs.routing, revisionId: theirs.revisionId },
      outcome: { status: 'drift', reason: 'alias live was changed by someone else and was left as it is', at: iso(NOW), finalVersion: '7' },
    };
    workflow.put(ARN, { status: 'FAILED', history: [state, drifted], error: 'AliasDrift', cause: drifted.outcome?.reason });
    const result = await guard()(statusChange('FAILED', { error: 'AliasDrift', cause: drifted.outcome?.reason }));
    expect(updates()).toEqual([]);
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '7', routing: { '8': 3 }, revisionId: theirs.revisionId });
    expect(result).toMatchObject({ action: 'drift', endedAs: 'drift', lockReleased: true });
  });

  it('is idempotent: a second run finds everything done and stays quiet', async () => {
    workflow.put(ARN, { status: 'ABORTED', history: [state] });
    await guard()(statusChange('ABORTED'));
    const again = await guard()(statusChange('ABORTED'));
    expect(again).toMatchObject({ action: 'already_whole', recorded: false, lockReleased: false, notified: 'already ended' });
    expect(updates()).toHaveLength(1);
    expect(notifier.published).toHaveLength(1);
    expect((await registry.get(ID))?.status).toBe('aborted');
  });

  it('FAILED at Prepare (refused, no rollout state yet): releases the lock the API took and records the refusal, quietly', async () => {
    const fresh = new InMemoryRolloutRegistry();
    await fresh.acquire(lockRequest(ID, { status: 'pending', baselineVersion: undefined }));
    registry = fresh;
    workflow.put(ARN, { status: 'FAILED', history: [{ refusal: { Error: 'RolloutRefused', Cause: 'version 8 is not published' } }] });
    const result = await guard()(statusChange('FAILED', { error: 'RolloutRefused', cause: 'version 8 is not published' }));
    expect(result).toMatchObject({ action: 'already_whole', endedAs: 'refused', lockReleased: true, notified: 'workflow already notified' });
    expect(await registry.get(ID)).toMatchObject({ status: 'refused', reason: 'execution failed: RolloutRefused (version 8 is not published); no traffic had moved' });
    expect(notifier.published).toEqual([]);
    expect(updates()).toEqual([]);
  });

  it('ABORTED before any rollout state: records and announces the abort from the record, reading the cause from DescribeExecution', async () => {
    const fresh = new InMemoryRolloutRegistry();
    await fresh.acquire(lockRequest(ID, { status: 'pending', baselineVersion: undefined }));
    registry = fresh;
    workflow.put(ARN, { status: 'ABORTED', error: 'RolloutAborted', cause: 'wrong version' });
    const result = await guard()(statusChange('ABORTED'));
    expect(result).toMatchObject({ endedAs: 'aborted', lockReleased: true });
    expect(notifier.subjects).toEqual(['lambda-rollout orders:live v8 aborted: execution aborted: wrong version; no traffic had moved']);
    expect(notifier.published[0]?.attributes).toMatchObject({ eventType: 'aborted', outcome: 'aborted', rolloutId: ID });
  });

  it.each(['RUNNING', 'PENDING_REDRIVE'] as const)(
    'a FAILED event while DescribeExecution says %s (late, duplicated, redriven) changes nothing',
    async (now) => {
      workflow.put(ARN, { status: now, history: [state] });
      const result = await guard()(statusChange('FAILED', { error: 'States.TaskFailed', cause: 'an earlier failure' }));
      expect(result).toEqual({ executionArn: ARN, status: now, action: 'still_running' });
      expect(updates()).toEqual([]);
      expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '7', routing: { '8': 30 } });
      expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: ID, status: 'running' });
      expect(await registry.get(ID)).toMatchObject({ status: 'running' });
      expect(await registry.get(ID).then((r) => r?.endedAt)).toBeUndefined();
      expect(notifier.published).toEqual([]);
      // A second start is still refused: the running rollout keeps its alias.
      await expect(registry.acquire(lockRequest('orders-live-v9-000000000000', { targetVersion: '9' }))).rejects.toThrow(/is already running on orders:live/);
    },
  );

  it("a start refused at AcquireLock never undoes the lock holder's split, whatever its FAILED event says", async () => {
    // The loser prepared before the holder shifted: same versions, the first step's weight, the revision before the shift.
    const LOSER = 'orders-live-v8-0f0f0f0f0f0f';
    const prepared = runningState({ id: LOSER, alias: { functionVersion: '7', routing: {}, revisionId: 'r2' }, cursor: { step: 2, weightPercent: 30, next: 'shift' } });
    const refused = await makeAcquireLock({ registry, clock })(prepared);
    expect(refused.refusal?.Cause).toContain(`rollout ${ID} is already running on orders:live`);
    await makeReleaseLock({ registry, clock })(refused);
    workflow.put(executionArn(LOSER), { status: 'FAILED', history: [prepared, refused], error: 'RolloutRefused', cause: refused.refusal?.Cause });

    const result = await guard()({ detail: { executionArn: executionArn(LOSER), status: 'FAILED', error: 'RolloutRefused', cause: refused.refusal?.Cause } });
    expect(result).toMatchObject({ action: 'untouched', endedAs: 'refused', recorded: false, lockReleased: false, notified: 'already ended' });
    expect(updates()).toEqual([]);
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '7', routing: { '8': 30 } });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: ID, executionArn: ARN });
    expect(await registry.get(LOSER)).toMatchObject({ status: 'refused' });
  });

  it('an execution whose lock passed to another rollout leaves that rollout\'s split alone', async () => {
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '7' }, 'rollout');
    await makeReleaseLock({ registry, clock })({ ...state, outcome: { status: 'rolled_back', reason: 'errors', at: iso(NOW), finalVersion: '7' } });
    const NEXT = 'orders-live-v8-123412341234';
    await makeAcquireLock({ registry, clock })(runningState({ id: NEXT }));
    const next = lambda.changeAliasExternally('orders', 'live', { functionVersion: '7', routing: { '8': 30 } }, 'rollout');
    // A late ABORTED event of the first execution, whose last state still says "30% at r3, ours".
    workflow.put(ARN, { status: 'ABORTED', history: [{ ...state, alias: { ...state.alias, revisionId: next.revisionId } }] });
    const result = await guard()(statusChange('ABORTED'));
    expect(result.action).toBe('untouched');
    expect(updates()).toEqual([]);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: NEXT });
  });

  it('ignores statuses it does not guard, and executions it knows nothing of', async () => {
    expect(await guard()(statusChange('SUCCEEDED'))).toEqual({ executionArn: ARN, status: 'SUCCEEDED', action: 'ignored' });
    const unknown = await guard()({ detail: { executionArn: executionArn('nobody'), status: 'ABORTED' } });
    expect(unknown.action).toBe('unknown');
    expect(updates()).toEqual([]);
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: ID });
  });

  it('follows a long rollout into the execution that continues it: that one stopping is guarded like any other', async () => {
    const next = executionArn(`${ID}-c1`);
    await handOverTo(registry, ID, ARN, next, iso(NOW));
    const continued = { ...state, rollout: { ...state.rollout, executionArn: next }, continuation: { number: 1, from: ARN } };
    workflow.put(ARN, { status: 'SUCCEEDED', history: [state] });
    workflow.put(next, { status: 'ABORTED', history: [continued], error: 'RolloutAborted', cause: 'enough (aborted by alice)' });
    const result = await guard()(statusChange('ABORTED', { executionArn: next, name: `${ID}-c1` }));
    expect(result).toMatchObject({ action: 'restored', endedAs: 'aborted', recorded: true, lockReleased: true, rolloutId: ID });
    expect(lambda.peekAlias('orders', 'live')).toMatchObject({ functionVersion: '7', routing: {} });
    expect(await registry.get(ID)).toMatchObject({ status: 'aborted', executionArn: next });
    // The execution that handed over succeeded: not a status the guard acts on.
    expect((await guard()(statusChange('SUCCEEDED'))).action).toBe('ignored');
  });

  it('stopped after it handed over (a stop that raced the hand-over): the rollout goes on elsewhere, nothing is undone or told', async () => {
    const next = executionArn(`${ID}-c1`);
    await handOverTo(registry, ID, ARN, next, iso(NOW));
    workflow.put(ARN, { status: 'ABORTED', history: [state], error: 'RolloutAborted', cause: 'stopped in the console' });
    workflow.put(next, { status: 'RUNNING' });
    const split = lambda.peekAlias('orders', 'live');
    const result = await guard()(statusChange('ABORTED'));
    expect(result).toEqual({ executionArn: ARN, status: 'ABORTED', action: 'continued_elsewhere', rolloutId: ID });
    expect(lambda.peekAlias('orders', 'live')).toEqual(split);
    expect(notifier.published).toEqual([]);
    expect(await registry.get(ID)).toMatchObject({ status: 'running', executionArn: next });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: ID, executionArn: next });
  });
});

describe('what the guard counts in the service\'s metrics', () => {
  let metrics: RecordingMetrics;
  const counting = () => makeGuard({ registry, workflow, lambda, notifier, concurrency: lambda, clock, serviceMetrics: metrics });
  beforeEach(() => {
    metrics = new RecordingMetrics();
  });

  it('an ending the workflow never reached (aborted), once: a repeat run counts nothing', async () => {
    workflow.put(ARN, { status: 'ABORTED', history: [state], error: 'RolloutAborted', cause: 'bad canary' });
    await counting()(statusChange('ABORTED'));
    await counting()(statusChange('ABORTED'));
    expect(metrics.points).toEqual(['orders RolloutsAborted=1', 'orders FailedTargetRequests=1']);
  });

  it('a failure no Catch can catch, as failed', async () => {
    workflow.put(ARN, { status: 'FAILED', history: [state], error: 'States.DataLimitExceeded' });
    await counting()(statusChange('FAILED', { error: 'States.DataLimitExceeded' }));
    expect(metrics.points).toEqual(['orders RolloutsFailed=1', 'orders FailedTargetRequests=1']);
  });

  it('nothing for an ending the workflow reached: NotifyEnding counted it', async () => {
    lambda.changeAliasExternally('orders', 'live', { functionVersion: '7' }, 'rollout');
    const rolledBack: RolloutState = { ...state, alias: { ...lambda.peekAlias('orders', 'live') }, outcome: { status: 'rolled_back', reason: 'errors', at: iso(NOW), finalVersion: '7' } };
    workflow.put(ARN, { status: 'FAILED', history: [state, rolledBack], error: 'RolloutRolledBack' });
    await counting()(statusChange('FAILED', { error: 'RolloutRolledBack' }));
    expect(metrics.emitted).toEqual([]);
  });

  it('RollbackFailed, before it touches the alias: the alarm fires even when the guard cannot put the alias back', async () => {
    const failed: RolloutState = { ...state, error: { Error: 'TransientAwsError', Cause: 'UpdateAlias: InternalError' } };
    workflow.put(ARN, { status: 'FAILED', history: [state, failed], error: 'RollbackFailed' });
    lambda.injectFault('getAlias', 'server-error', 1);
    await expect(counting()(statusChange('FAILED', { error: 'RollbackFailed' }))).rejects.toThrow();
    expect(metrics.emitted).toEqual([{ functionName: 'orders', points: [{ name: 'RollbackFailed', unit: 'Count', value: 1 }] }]);

    // The retry puts the alias back and records the ending; NotifyEnding already counted it as failed.
    await counting()(statusChange('FAILED', { error: 'RollbackFailed' }));
    expect(lambda.peekAlias('orders', 'live').routing).toEqual({});
    await counting()(statusChange('FAILED', { error: 'RollbackFailed' }));
    expect(metrics.points).toEqual(['orders RollbackFailed=1', 'orders RollbackFailed=1']);
  });
});
