/** The workflow definition itself: valid ASL, wired to exactly the task functions we build. */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import aslValidator from 'asl-validator';
import { formatAsl } from '../../cli/format-asl.js';
import { LOOP_EVENTS, STATE_EVENTS, TRANSIENT_STATE_KEYS } from '../../functions/core/continuation.js';
import { ErrorName, InvalidInputError, refusalOf, TRANSIENT_ERRORS } from '../../functions/core/errors.js';
import { parseRolloutInput } from '../../functions/core/input.js';
import { PRE_TRAFFIC_POLICY } from '../../functions/core/refusal.js';
import { RETRY_POLICIES, type RetryPolicyName } from '../../functions/core/retry-policies.js';
import { ASL_PATH, TASK_FUNCTIONS } from '../../functions/names.js';
import { loadDefinition, localHandlers, substituteLocally, taskKeyOf, waitsForToken } from '../../sim/runner.js';
import { bindTasks } from '../../sim/tasks.js';
import { SimWorld } from '../../sim/world.js';

const definition = loadDefinition();
const states = Object.entries(definition.States);
const tasks = states.filter(([, s]) => s.Type === 'Task');

describe('statemachine/rollout.asl.json', () => {
  it('is valid ASL once its placeholders are substituted', () => {
    const { isValid, errors } = aslValidator(substituteLocally(definition));
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('is written in JSONPath: no JSONata, no variables (the local interpreter ignores them)', () => {
    const text = readFileSync(ASL_PATH, 'utf8');
    expect(text).not.toMatch(/"QueryLanguage"|"Arguments"|"Output"|"Assign"|\{%/);
  });

  it('its placeholders are exactly the task function keys CDK substitutes', () => {
    const placeholders = new Set([...readFileSync(ASL_PATH, 'utf8').matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual(Object.keys(TASK_FUNCTIONS).sort());
  });

  it('binds every Task state to a local handler', () => {
    const world = new SimWorld({ rate: 1, baseline: { errorRate: 0, p50Ms: 10, p99Ms: 50 }, target: { errorRate: 0, p50Ms: 10, p99Ms: 50 } });
    const handlers = localHandlers(definition, bindTasks(world.ports()), world.tokens);
    expect(Object.keys(handlers).sort()).toEqual(tasks.map(([name]) => name).sort());
    for (const [name, state] of tasks) expect(taskKeyOf(state), name).toBeDefined();
  });

  it.each(tasks)('%s retries transient errors with backoff and jitter', (_, state) => {
    const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number; JitterStrategy: string; MaxAttempts: number }[];
    const transient = retry.find((r) => r.ErrorEquals.includes('Throttled'));
    expect(transient?.ErrorEquals.sort()).toEqual([...TRANSIENT_ERRORS].sort());
    expect(transient?.BackoffRate).toBeGreaterThan(1);
    expect(transient?.JitterStrategy).toBe('FULL');
    expect(transient?.MaxAttempts).toBeGreaterThanOrEqual(4);
  });

  it('every task after traffic can have moved catches everything into Rollback', () => {
    for (const name of ['ShiftWeight', 'CheckHealth', 'CheckReadableEvidence', 'Finalize']) {
      expect((definition.States[name]?.Catch as unknown[] | undefined)?.at(-1), name).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rollback' });
    }
    for (const name of ['ShiftWeight', 'CheckReadableEvidence', 'Finalize']) expect(definition.States[name]?.Catch, name).toHaveLength(1);
  });

  it('a check that cannot read its evidence after its retries judges what it can read, instead of rolling back', () => {
    const [unreadable, rest] = definition.States.CheckHealth?.Catch as { ErrorEquals: string[]; Next: string }[];
    expect(unreadable).toEqual({ ErrorEquals: [...TRANSIENT_ERRORS, 'States.Timeout'], ResultPath: '$.unreadable', Next: 'CheckReadableEvidence' });
    expect(rest?.ErrorEquals).toEqual(['States.ALL']);
    expect(definition.States.CheckReadableEvidence).toMatchObject({ Type: 'Task', Parameters: { 'unreadable.$': '$.unreadable', 'state.$': '$' }, Next: 'Announce' });
    expect(taskKeyOf(definition.States.CheckReadableEvidence!)).toBe('CheckHealthFunctionArn');
  });

  it('turns every failure before the first shift into a refusal that says what happened (ExplainRefusal)', () => {
    // The code release, Prepare and the lock; then provisioned concurrency, the probes (VerifyTarget) and the preTraffic hook's refusal.
    const beforeTraffic = ['UpdateCode', 'CheckCode', 'PublishVersion', 'Prepare', 'AcquireLock', 'AddConcurrency', 'CheckConcurrency', 'VerifyTarget', 'PreTrafficFailed'];
    for (const name of beforeTraffic) {
      expect(definition.States[name]?.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.refusal', Next: 'ExplainRefusal' }]);
    }
    expect(definition.States.ExplainRefusal).toMatchObject({ Type: 'Task', Parameters: { 'explain.$': '$', 'input.$': '$$.Execution.Input' }, ResultPath: '$.refusal', Next: 'NotifyEnding' });
    expect(taskKeyOf(definition.States.ExplainRefusal!)).toBe('PrepareFunctionArn');
  });

  it('refuses a null input in the words Prepare uses for any input that is not a JSON object', () => {
    let refused: unknown;
    try {
      parseRolloutInput(null);
    } catch (error) {
      refused = refusalOf(error as InvalidInputError);
    }
    expect(definition.States.NullInput).toMatchObject({ Type: 'Pass', Result: { refusal: refused }, Next: 'NotifyEnding' });
    expect((definition.States.FromArtifact?.Choices as { Next: string }[])[0]?.Next).toBe('NullInput');
  });

  it('before the first shift: provisioned concurrency, then the probes, then the preTraffic hook', () => {
    const next = (name: string) => definition.States[name] as { Next?: string; Default?: string; Choices?: { Next: string }[] };
    expect(next('NotifyStarted').Next).toBe('NeedsConcurrency');
    expect(next('NeedsConcurrency').Default).toBe('VerifyTarget');
    expect(next('ConcurrencyReady').Choices?.map((c) => c.Next)).toEqual(['NotifyEnding', 'VerifyTarget']);
    expect(next('VerifyTarget').Next).toBe('VerifiedOrRefused');
    expect(next('VerifiedOrRefused').Default).toBe('PreTrafficHook');
    expect(next('PreTrafficHook').Default).toBe('BeforeStepHook');
    expect(next('RunPreTraffic').Next).toBe('BeforeStepHook');
  });

  it('bakes with a native Wait state until the next check', () => {
    expect(definition.States.Bake).toMatchObject({ Type: 'Wait', SecondsPath: '$.cursor.waitSeconds', Next: 'CheckHealth' });
    const choices = definition.States.Decide?.Choices as { StringEquals?: string; Next: string }[];
    expect(choices.filter((c) => c.StringEquals).map((c) => `${c.StringEquals}->${c.Next}`)).toEqual([
      'shift->BeforeStepHook',
      'bake->Bake',
      'hold->Bake',
      'await->AwaitControl',
      'promote->BeforeStepHook',
    ]);
    // A promotion verified by the final bake ends the rollout: it is not promoted twice.
    expect(choices[0]).toMatchObject({ And: expect.arrayContaining([{ Variable: '$.cursor.next', StringEquals: 'promote' }]), Next: 'NotifyEnding' });
    // Before any wait, a rollout whose history is nearly full continues in a new execution.
    expect(choices[1]).toEqual({
      And: [
        { Variable: '$.cursor.continueInNewExecution', IsPresent: true },
        { Variable: '$.cursor.continueInNewExecution', BooleanEquals: true },
      ],
      Next: 'ContinueInNewExecution',
    });
    expect(definition.States.Decide?.Default).toBe('Rollback');
    expect(definition.States.Advance?.Choices).toEqual([{ Variable: '$.cursor.next', StringEquals: 'promote', Next: 'Finalize' }]);
    expect(definition.States.Advance?.Default).toBe('ShiftWeight');
  });

  it('holds for a person in a task-token wait that ends at the next check, so checks go on', () => {
    expect(definition.States.AwaitControl).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: '${AwaitControlFunctionArn}', Payload: { 'token.$': '$$.Task.Token', 'state.$': '$' } },
      TimeoutSecondsPath: '$.cursor.waitSeconds',
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'CheckHealth' }],
      Next: 'CheckHealth',
    });
  });

  it.each(['preTraffic', 'beforeStep', 'postTraffic', 'onRollback'])('waits for the %s hook with its task token and its own timeout', (hook) => {
    const name = `Run${hook[0]!.toUpperCase()}${hook.slice(1)}`;
    expect(definition.States[name]).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: '${RunHookFunctionArn}', Payload: { action: 'run', hook, 'token.$': '$$.Task.Token', 'state.$': '$' } },
      TimeoutSecondsPath: `$.rollout.hooks.${hook}.timeoutSeconds`,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.hookFailure', Next: `${name.slice(3)}Failed` }],
    });
  });

  it('names its failures as the code does', () => {
    const fails = states.filter(([, s]) => s.Type === 'Fail' && typeof s.Error === 'string').map(([, s]) => s.Error as string);
    for (const name of fails) expect(Object.values(ErrorName)).toContain(name);
  });

  it('ends only in Promoted (success) or a named failure, or hands the rollout to a new execution', () => {
    const ends = states.filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail').map(([n, s]) => `${n}:${s.Type}:${(s.Error as string) ?? s.ErrorPath}`);
    expect(ends.sort()).toEqual([
      'ContinuedInNewExecution:Succeed:undefined',
      'Drifted:Fail:AliasDrift',
      'Promoted:Succeed:undefined',
      'PromotedLockHeld:Fail:LockNotReleased',
      'Refused:Fail:$.refusal.Error',
      'RollbackFailed:Fail:RollbackFailed',
      'RolledBack:Fail:RolloutRolledBack',
    ]);
  });

  it('is written in its canonical layout (npm run format:asl): one line per retrier, catcher and choice rule', () => {
    const text = readFileSync(ASL_PATH, 'utf8');
    expect(text, 'run npm run format:asl').toBe(formatAsl(JSON.parse(text)));
  });
});

describe('retry policies', () => {
  // A fresh copy: the test above sorts the shared definition's ErrorEquals in place.
  const fresh = Object.entries(loadDefinition().States).filter(([, s]) => s.Type === 'Task');
  const policyOf = (retry: unknown) =>
    (Object.keys(RETRY_POLICIES) as RetryPolicyName[]).find((name) => isDeepStrictEqual(RETRY_POLICIES[name], retry));

  it.each(fresh)('%s retries with one of the named policies, exactly', (name, state) => {
    expect(policyOf(state.Retry), `${name}'s Retry is none of ${Object.keys(RETRY_POLICIES).join(', ')}: change it to one of them, or change a policy`).toBeDefined();
  });

  it('uses every named policy', () => {
    const used = new Set(fresh.map(([, state]) => policyOf(state.Retry)));
    expect(Object.keys(RETRY_POLICIES).filter((name) => !used.has(name as RetryPolicyName))).toEqual([]);
  });

  it('retries every task before the first shift by the policy its refusals count attempts with', () => {
    for (const name of ['UpdateCode', 'CheckCode', 'PublishVersion', 'Prepare', 'AcquireLock', 'AddConcurrency', 'CheckConcurrency', 'VerifyTarget', 'PreTrafficFailed']) {
      expect(policyOf(fresh.find(([n]) => n === name)?.[1].Retry), name).toBe(PRE_TRAFFIC_POLICY);
    }
  });

  it('retries the tasks that end a rollout hard, and notifications at best effort', () => {
    const byPolicy = (policy: RetryPolicyName) => fresh.filter(([, state]) => policyOf(state.Retry) === policy).map(([name]) => name).sort();
    expect(byPolicy('hard')).toEqual(['ReleaseLock', 'RemoveConcurrency', 'Rollback']);
    expect(byPolicy('callback')).toEqual(tasks.filter(([, state]) => waitsForToken(state)).map(([name]) => name).sort());
    expect(byPolicy('bestEffort')).toEqual(tasks.filter(([, state]) => taskKeyOf(state) === 'NotifyFunctionArn').map(([name]) => name).sort());
  });
});

describe('one ending path', () => {
  const ENDING_NOTIFY = 'NotifyEnding';
  // Handing the rollout over to its next execution is no ending: the rollout goes on there.
  const terminals = states.filter(([name, s]) => (s.Type === 'Succeed' || s.Type === 'Fail') && name !== 'ContinuedInNewExecution').map(([name]) => name);
  const nextOf = (state: Record<string, unknown>): string[] =>
    [
      state.Next,
      state.Default,
      ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ...((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
    ].filter((n): n is string => typeof n === 'string');
  /** The states reachable from `from` without passing through `wall`. */
  const reachable = (from: string, wall?: string) => {
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name) || name === wall) return;
      seen.add(name);
      nextOf(definition.States[name] as Record<string, unknown>).forEach(visit);
    };
    visit(from);
    return seen;
  };

  it('no two Task states differ only in where they go next (or in their Comment)', () => {
    const withoutNext = ([, state]: (typeof tasks)[number]) => {
      const { Next: _next, Comment: _comment, Catch, ...rest } = state;
      return JSON.stringify({ ...rest, Catch: (Catch as object[] | undefined)?.map((c) => ({ ...c, Next: undefined })) });
    };
    const twins = tasks.flatMap((a, i) => tasks.slice(i + 1).filter((b) => withoutNext(a) === withoutNext(b)).map((b) => `${a[0]} = ${b[0]}`));
    expect(twins, twins.join('; ')).toEqual([]);
  });

  it('has one Notify task for every ending, next to the mid-rollout events, and one ReleaseLock task', () => {
    const notify = tasks.filter(([, s]) => taskKeyOf(s) === 'NotifyFunctionArn').map(([name]) => name);
    expect(notify.sort()).toEqual(['NotifyAnnounced', ENDING_NOTIFY, 'NotifyShifted', 'NotifyStarted'].sort());
    expect(tasks.filter(([, s]) => taskKeyOf(s) === 'ReleaseLockFunctionArn').map(([name]) => name)).toEqual(['ReleaseLock']);
  });

  it('tells people of every ending through that one Notify', () => {
    const before = reachable(definition.StartAt, ENDING_NOTIFY);
    expect(terminals.filter((name) => before.has(name))).toEqual([]);
    expect(terminals.every((name) => reachable(ENDING_NOTIFY).has(name))).toBe(true);
  });

  it('releases the lock through that one ReleaseLock, except after a failed rollback, which keeps it for the guard', () => {
    const withoutRelease = reachable(definition.StartAt, 'ReleaseLock');
    expect(terminals.filter((name) => withoutRelease.has(name))).toEqual(['RollbackFailed']);
    expect(reachable('ReleaseLock').has('RollbackFailed')).toBe(false);
  });

  it('hands a rollout to its next execution only from a bake decision, and never after an ending began', () => {
    const into = (target: string) => states.filter(([, s]) => nextOf(s as Record<string, unknown>).includes(target)).map(([name]) => name);
    expect(into('ContinuedInNewExecution')).toEqual(['ContinueInNewExecution']);
    expect(into('ContinueInNewExecution')).toEqual(['Decide']);
    expect(reachable(ENDING_NOTIFY).has('ContinueInNewExecution')).toBe(false);
    expect(definition.States.ContinuedInNewExecution).toMatchObject({ OutputPath: '$.continuedIn' });
    // A start that keeps failing waits on here as the cursor says: a wait for a person stays wakeable.
    expect((definition.States.ContinueInNewExecution?.Catch as { Next: string }[]).map((c) => c.Next)).toEqual(['WaitOnHere']);
    expect(definition.States.WaitOnHere).toMatchObject({ Choices: [{ Variable: '$.cursor.next', StringEquals: 'await', Next: 'AwaitControl' }], Default: 'Bake' });
  });
});

describe('long rollouts within the history limit', () => {
  const transitions = (name: string) => {
    const s = definition.States[name] as Record<string, unknown>;
    return [s.Next, s.Default, ...(((s.Choices ?? []) as { Next: string }[]).concat((s.Catch ?? []) as { Next: string }[])).map((c) => c.Next)];
  };
  /** The events a path of states adds to the history, each state by its type, checked to be a path of the workflow. */
  const eventsAlong = (path: string[]) =>
    path.reduce((total, name, i) => {
      const next = path[i + 1];
      if (next !== undefined) expect(transitions(name), `${name} -> ${next}`).toContain(next);
      const state = definition.States[name];
      const task = state?.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken' ? STATE_EVENTS.callback : STATE_EVENTS.task;
      return total + (state?.Type === 'Task' ? task : state?.Type === 'Wait' ? STATE_EVENTS.wait : STATE_EVENTS.choice);
    }, 0);

  it("counts each loop's events as the workflow's states add them", () => {
    expect(eventsAlong(['Bake', 'CheckHealth', 'Announce', 'Decide'])).toBe(LOOP_EVENTS.check);
    expect(eventsAlong(['Announce', 'NotifyAnnounced', 'Decide']) - eventsAlong(['Announce', 'Decide'])).toBe(LOOP_EVENTS.announce);
    expect(eventsAlong(['Decide', 'BeforeStepHook', 'Advance', 'ShiftWeight', 'NotifyShifted', 'Bake']) - eventsAlong(['Decide', 'Bake'])).toBe(LOOP_EVENTS.shift);
    // A wait for a person: AwaitControl, a task-token Task, in place of Bake.
    expect(eventsAlong(['Decide', 'AwaitControl', 'CheckHealth', 'Announce', 'Decide']) - eventsAlong(['Decide', 'Bake', 'CheckHealth', 'Announce', 'Decide'])).toBe(LOOP_EVENTS.awaited);
    // A beforeStep hook that failed, up to the hold's Announce (which the check loop counts).
    expect(eventsAlong(['BeforeStepHook', 'RunBeforeStep', 'BeforeStepFailed', 'HeldOrRefused', 'Announce']) - STATE_EVENTS.choice).toBe(LOOP_EVENTS.hookFailed);
    // Evidence unreadable after CheckHealth's retries: each retried attempt, then CheckReadableEvidence.
    const retries = (definition.States.CheckHealth?.Retry as { MaxAttempts: number }[] | undefined)?.[0]?.MaxAttempts ?? 0;
    expect(retries * STATE_EVENTS.retry + eventsAlong(['CheckHealth', 'CheckReadableEvidence', 'Announce']) - eventsAlong(['CheckHealth', 'Announce'])).toBe(LOOP_EVENTS.unreadable);
    const start = ['NewOrContinued', 'FromArtifact', 'Prepare', 'StartOrRefuse', 'AcquireLock', 'LockedOrRefused', 'NotifyStarted', 'NeedsConcurrency', 'VerifyTarget', 'VerifiedOrRefused', 'PreTrafficHook', 'BeforeStepHook', 'Advance', 'ShiftWeight', 'NotifyShifted'];
    expect(definition.StartAt).toBe('NewOrContinued');
    expect(1 + eventsAlong(start)).toBe(LOOP_EVENTS.start);
    expect(1 + eventsAlong(['NewOrContinued', 'ResumeContinuation', 'Resumed'])).toBe(LOOP_EVENTS.resume);
    expect(transitions('Resumed')).toContain('Bake');
  });

  it('carries nothing a Catch wrote into the next execution', () => {
    const written = new Set(states.flatMap(([, s]) => ((s.Catch as { ResultPath: string | null }[] | undefined) ?? []).flatMap((c) => (c.ResultPath === null ? [] : [c.ResultPath.replace(/^\$\./, '')]))));
    expect([...written].filter((key) => !(TRANSIENT_STATE_KEYS as readonly string[]).includes(key))).toEqual([]);
  });
});
