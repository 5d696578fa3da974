import { describe, expect, it } from 'vitest';
import { MAX_CALLER_CHARS, MAX_REASON_CHARS } from '../../../functions/core/limits.js';
import {
  applyControlRequest,
  type ControlContext,
  controlChangedSince,
  emptyControl,
  gateId,
  gateProblems,
  GateSchema,
  parseControlRequest,
  type RolloutControl,
  withOpenGate,
} from '../../../functions/core/control.js';
import { InvalidInputError } from '../../../functions/core/errors.js';
import { parseRolloutInput } from '../../../functions/core/input.js';
import { toPlan } from '../../../functions/core/strategy.js';

const T = Date.UTC(2026, 0, 5, 10);
const context = (over: Partial<ControlContext> = {}): ControlContext => ({ rolloutId: 'r1', status: 'running', weightPercent: 10, caller: 'alice', now: T, ...over });
const gate = { id: 'step-2', openedAt: '2026-01-05T09:55:00.000Z', timesOutAt: '2026-01-05T10:55:00.000Z', onTimeout: 'rollback' as const, weightPercent: 10 };
const waiting: RolloutControl = { ...emptyControl('r1', 'arn:x', T), version: 3, gate };

describe('gates in the rollout input', () => {
  it('default to an hour and rolling back', () => {
    expect(GateSchema.parse({ before: 2 })).toEqual({ before: 2, timeoutSeconds: 3600, onTimeout: 'rollback' });
    expect(gateId(2)).toBe('step-2');
    expect(gateId('promotion')).toBe('promotion');
  });

  it.each([
    [[{ before: 3 }], 'Canary10Percent5Minutes', 'gates[0].before', 'the plan has 1 step: a gate can come before steps 2 to 1, or before "promotion"'],
    [[{ before: 'promotion' }, { before: 'promotion' }], 'Linear10PercentEvery1Minute', 'gates[1].before', 'there is already a gate before promotion'],
    [[{ before: 'promotion' }], 'AllAtOnce', 'gates[0].before', 'the plan moves all traffic at once: there is no weight to hold at while waiting; use a canary or steps'],
  ])('%j with %s is refused naming the gate', (gates, strategy, field, rule) => {
    expect(gateProblems(gates.map((g) => GateSchema.parse(g)), toPlan(strategy as 'AllAtOnce'))).toEqual([{ field, rule }]);
    expect(() => parseRolloutInput({ functionName: 'orders', alias: 'live', targetVersion: 2, strategy, gates })).toThrow(InvalidInputError);
  });

  it('a gate before the first step is refused: nothing would be judged while it waits', () => {
    expect(() => parseRolloutInput({ functionName: 'orders', alias: 'live', targetVersion: 2, gates: [{ before: 1 }] })).toThrow(/gates\[0\]\.before: must be a step number from 2 \(the first step has no traffic to judge while it waits\), or "promotion"/);
  });
});

describe('request bodies', () => {
  it('default promote to full, and need a reason to reject', () => {
    expect(parseControlRequest('promote', undefined)).toEqual({ action: 'promote', full: true });
    expect(parseControlRequest('approve', { gate: 'step-2', reason: ' ok ' })).toEqual({ action: 'approve', gate: 'step-2', reason: 'ok' });
    expect(() => parseControlRequest('reject', {})).toThrow(/reason: is required/);
    expect(() => parseControlRequest('pause', { for: 'ever' })).toThrow(/for: is not a known field/);
  });

  it('bound the reason and the caller they are recorded with, naming the field and the rule', () => {
    const issues = (action: Parameters<typeof parseControlRequest>[0], body: unknown, caller?: string) => {
      try {
        parseControlRequest(action, body, caller);
        return [];
      } catch (error) {
        return (error as InvalidInputError).issues;
      }
    };
    expect(issues('approve', { reason: 'x'.repeat(MAX_REASON_CHARS) })).toEqual([]);
    expect(issues('reject', { reason: 'x'.repeat(MAX_REASON_CHARS + 1) })).toEqual([{ field: 'reason', rule: `must be at most ${MAX_REASON_CHARS} characters` }]);
    expect(issues('pause', {}, `arn:aws:iam::123456789012:user/${'x'.repeat(MAX_CALLER_CHARS)}`)).toEqual([
      { field: '(caller)', rule: `must be an identity of at most ${MAX_CALLER_CHARS} characters; this is ${MAX_CALLER_CHARS + 31}` },
    ]);
  });
});

describe('applyControlRequest', () => {
  const apply = (control: RolloutControl, action: Parameters<typeof parseControlRequest>[0], body: object = {}, over: Partial<ControlContext> = {}) =>
    applyControlRequest(control, parseControlRequest(action, body), context(over));

  it('records an approval of the gate the rollout waits at, with who, why and when, one version on', () => {
    const change = apply(waiting, 'approve', { reason: 'ok' });
    expect(change).toEqual({
      ok: true,
      control: { ...waiting, version: 4, updatedAt: '2026-01-05T10:00:00.000Z', decisions: { 'step-2': { decision: 'approved', by: 'alice', reason: 'ok', at: '2026-01-05T10:00:00.000Z' } } },
    });
  });

  it.each([
    ['approve with no gate open', emptyControl('r1', 'arn:x', T), 'approve', {}, {}, 'rollout r1 is not waiting at a gate (the target has 10%)'],
    ['approve another gate', waiting, 'approve', { gate: 'promotion' }, {}, 'rollout r1 waits at gate step-2, not promotion'],
    ['decide a gate twice', { ...waiting, decisions: { 'step-2': { decision: 'rejected', by: 'bob', at: 'then' } } }, 'approve', {}, {}, 'gate step-2 of rollout r1 was already rejected by bob at then'],
    ['pause twice', { ...waiting, pause: { by: 'bob', at: 'then' } }, 'pause', {}, {}, 'rollout r1 is already paused (by bob at then)'],
    ['resume when not paused', waiting, 'resume', {}, {}, 'rollout r1 is not paused'],
    ['promote at 100%', waiting, 'promote', {}, { weightPercent: 100 }, 'rollout r1 is already at 100%'],
    ['promote twice', { ...waiting, promote: { by: 'bob', at: 'then', full: true } }, 'promote', {}, {}, 'rollout r1 is already being promoted (asked by bob at then)'],
    ['anything once the rollout ended', waiting, 'pause', {}, { status: 'rolled_back' }, 'rollout r1 has ended (rolled_back)'],
  ] as const)('refuses to %s', (_, control, action, body, over, error) => {
    expect(apply(control as RolloutControl, action, body, over)).toEqual({ ok: false, error });
  });

  it('pauses, resumes and promotes', () => {
    const paused = apply(waiting, 'pause', { reason: 'incident' });
    expect(paused.ok && paused.control.pause).toEqual({ by: 'alice', reason: 'incident', at: '2026-01-05T10:00:00.000Z' });
    const resumed = paused.ok ? applyControlRequest(paused.control, { action: 'resume' }, context()) : paused;
    expect(resumed.ok && resumed.control.pause).toBeUndefined();
    const promoted = apply(waiting, 'promote', { full: false });
    expect(promoted.ok && promoted.control.promote).toEqual({ by: 'alice', at: '2026-01-05T10:00:00.000Z', full: false });
  });
});

describe('the workflow side of the record', () => {
  it('records the gate the rollout waits at, and that it waits at none, only when that changes', () => {
    const opened = withOpenGate(emptyControl('r1', 'arn:x', T), gate, T);
    expect(opened).toMatchObject({ gate, version: 1 });
    expect(withOpenGate(opened!, gate, T)).toBeUndefined();
    expect(withOpenGate(opened!, undefined, T)).toMatchObject({ gate: undefined, version: 2 });
  });

  it('tells a wait that a decision came after the check that started it', () => {
    expect(controlChangedSince(waiting, { gate })).toBeUndefined();
    expect(controlChangedSince({ ...waiting, decisions: { 'step-2': { decision: 'approved', by: 'bob', at: 'now' } } }, { gate })).toBe('gate step-2 was approved by bob');
    expect(controlChangedSince(waiting, { paused: true })).toBe('the rollout was resumed');
    expect(controlChangedSince({ ...waiting, promote: { by: 'bob', at: 'now', full: true } }, {})).toBe('a promotion was asked for by bob');
    expect(controlChangedSince({ ...waiting, promote: { by: 'bob', at: 'now', full: true } }, { promotion: {} })).toBeUndefined();
    // A promotion asked for too late (the rollout had just promoted) never wakes the final bake.
    expect(controlChangedSince({ ...waiting, promote: { by: 'bob', at: 'now', full: true } }, { final: true, paused: true, gate: undefined })).toBe('the rollout was resumed');
    // Paused at a gate decided meanwhile: nothing changes until the resume.
    const decided = { ...waiting, pause: { by: 'bob', at: 'now' }, decisions: { 'step-2': { decision: 'approved' as const, by: 'bob', at: 'now' } } };
    expect(controlChangedSince(decided, { gate, paused: true })).toBeUndefined();
    expect(controlChangedSince({ ...decided, pause: undefined }, { gate, paused: true })).toBe('the rollout was resumed');
  });
});
