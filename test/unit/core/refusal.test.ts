/** Failures before any traffic moved, told as refusals in one line. Table-driven. */
import { describe, expect, it } from 'vitest';
import { attemptsBeforeGivingUp, explainRefusal } from '../../../functions/core/refusal.js';
import { RETRY_POLICIES } from '../../../functions/core/retry-policies.js';

const input = { functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', alias: 'live', targetVersion: '8' };
const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: ['at x (file.js:1:1)', 'at y (file.js:2:2)'] });

describe('explainRefusal', () => {
  it.each([
    ['Throttled', 'AWS kept throttling'],
    ['TransientAwsError', 'AWS kept failing'],
    ['AliasUpdateInProgress', 'Lambda kept answering that an update of the function is in progress'],
    ['Lambda.TooManyRequestsException', 'Lambda kept throttling the task function'],
    ['Lambda.ServiceException', 'Lambda kept failing to run the task function'],
  ])('%s after its retries: RolloutRefused, what happened and how often it was tried, on one line', (error, what) => {
    const told = explainRefusal({ state: { refusal: { Error: error, Cause: lambdaCause(error, 'GetAlias orders:live: Rate exceeded\n(HTTP 429)') } }, input });
    expect(told).toEqual({
      Error: 'RolloutRefused',
      Cause: `could not start the rollout of orders:live: ${what} (${error}: GetAlias orders:live: Rate exceeded (HTTP 429)) after ${RETRY_POLICIES.transient[0].MaxAttempts + 1} attempts; nothing was changed`,
    });
  });

  it.each([
    ['AliasDrift', 'the alias or the code changed while the rollout was being prepared'],
    ['ResourceNotFound', 'something the rollout needs does not exist'],
    ['AwsRequestRejected', 'AWS refused a request'],
    ['TypeError', 'a task failed'],
  ])('%s, which is not retried: no count of attempts', (error, what) => {
    expect(explainRefusal({ state: { refusal: { Error: error, Cause: 'why' } }, input }).Cause).toBe(`could not start the rollout of orders:live: ${what} (${error}: why); nothing was changed`);
  });

  it('a timeout says no more than its name, and counts its own attempts', () => {
    expect(explainRefusal({ state: { refusal: { Error: 'States.Timeout', Cause: 'States.Timeout' } }, input }).Cause).toBe(
      `could not start the rollout of orders:live: a task kept timing out (States.Timeout) after ${attemptsBeforeGivingUp('States.Timeout')} attempts; nothing was changed`,
    );
    expect(attemptsBeforeGivingUp('States.Timeout')).toBe((RETRY_POLICIES.transient.find((r) => r.ErrorEquals.includes('States.Timeout'))?.MaxAttempts ?? 0) + 1);
    expect(attemptsBeforeGivingUp('TypeError')).toBeUndefined();
  });

  it('a refusal stays as it is, on one line', () => {
    expect(explainRefusal({ state: { refusal: { Error: 'InvalidRolloutInput', Cause: 'Invalid rollout input:\nalias: is required' } }, input })).toEqual({ Error: 'InvalidRolloutInput', Cause: 'Invalid rollout input: alias: is required' });
    expect(explainRefusal({ state: { refusal: { Error: 'RolloutRefused', Cause: 'busy' } }, input })).toEqual({ Error: 'RolloutRefused', Cause: 'busy' });
  });

  it('names the rollout from the state once it has one, else from the input (either format), else says "the rollout"', () => {
    const caught = { Error: 'TypeError', Cause: 'x' };
    expect(explainRefusal({ state: { refusal: caught, rollout: { functionName: 'payments', alias: 'beta' } }, input }).Cause).toMatch(/^could not start the rollout of payments:beta: /);
    expect(explainRefusal({ state: { refusal: caught }, input: { 'function-name': 'orders', 'alias-name': 'blue' } }).Cause).toMatch(/^could not start the rollout of orders:blue: /);
    expect(explainRefusal({ state: { refusal: caught }, input: null }).Cause).toMatch(/^could not start the rollout: /);
  });

  it('after a release updated the code, says that the alias was not changed, not that nothing was', () => {
    const caught = { Error: 'Throttled', Cause: 'PublishVersion orders: Rate exceeded' };
    for (const state of [{ code: { status: 'Successful' } }, { code: { status: 'InProgress' } }, { publish: { status: 'Published', version: '9' } }]) {
      expect(explainRefusal({ state: { ...state, refusal: caught }, input }).Cause).toMatch(/; the alias was not changed \(the function's code had been updated; no version was rolled out\)$/);
    }
    expect(explainRefusal({ state: { code: { status: 'Failed' }, refusal: caught }, input }).Cause).toMatch(/; nothing was changed$/);
  });
});
