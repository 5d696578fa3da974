/** Pre-flight: each rule Prepare checks, from what it read to a refusal in words (or none). Table-driven. */
import { describe, expect, it } from 'vitest';
import { parseRolloutInput } from '../../../functions/core/input.js';
import type { AliasState, VersionConfig } from '../../../functions/core/lambda-model.js';
import {
  aliasRefusal,
  alarmRefusal,
  functionRefusal,
  missing,
  preparedState,
  releasedInput,
  routingRefusal,
} from '../../../functions/core/preflight.js';

const ROLE = 'arn:aws:iam::123456789012:role/orders';
const version = (v: string, over: Partial<VersionConfig> = {}): VersionConfig => ({
  functionName: 'orders',
  functionArn: `arn:aws:lambda:us-east-1:123456789012:function:orders:${v}`,
  version: v,
  state: 'Active',
  lastUpdateStatus: 'Successful',
  role: ROLE,
  ...over,
});
const alias = (over: Partial<AliasState> = {}): AliasState => ({ name: 'live', functionVersion: '1', routing: {}, revisionId: 'r1', ...over });

describe('releasedInput', () => {
  it.each([
    ['an input without a release, as it is', { functionName: 'orders', targetVersion: '2' }, { functionName: 'orders', targetVersion: '2' }],
    ['the published version as the target', { functionName: 'orders', release: { s3Key: 'k' }, code: { status: 'Successful' }, publish: { status: 'Published', version: '9' } }, { functionName: 'orders', release: { s3Key: 'k' }, targetVersion: '9' }],
    ['no target before anything was published', { functionName: 'orders', release: {}, code: {} }, { functionName: 'orders', release: {} }],
    ['garbage, as it is', 42, 42],
  ])('%s', (_, raw, expected) => expect(releasedInput(raw)).toEqual(expected));
});

describe('missing', () => {
  it.each([
    [missing.function('arn:aws:lambda:us-east-1:123456789012:function:payments'), 'function payments does not exist'],
    [missing.alias('orders', 'prod'), 'alias prod of function orders does not exist'],
    [missing.target('orders', '9'), 'version 9 of function orders is not published'],
    [missing.baseline('orders', '3'), 'baseline version 3 of function orders does not exist'],
  ])('%s', (reason, expected) => expect(reason).toBe(expected));
});

describe('functionRefusal', () => {
  it.each<[Partial<VersionConfig>, string | undefined]>([
    [{}, undefined],
    [{ state: 'Inactive' }, 'function orders is Inactive, not Active'],
    [{ lastUpdateStatus: 'InProgress' }, "function orders's last update is InProgress, not Successful; wait for it to finish or fix it first"],
  ])('%j: %s', (over, expected) => expect(functionRefusal('orders', version('$LATEST', over))).toBe(expected));
});

describe('aliasRefusal', () => {
  const input = { alias: 'live', targetVersion: '2' };
  it.each<[string, Partial<AliasState>, string | undefined]>([
    ['whole on another published version', {}, undefined],
    ['already split', { routing: { '2': 20 } }, 'alias live is already split (v1 80% + v2 20%): another rollout is running or one was left unfinished'],
    ['already on the target', { functionVersion: '2' }, 'version 2 is already the version of alias live'],
    ['on $LATEST', { functionVersion: '$LATEST' }, 'alias live points at $LATEST; point it at a published version before rolling out'],
  ])('%s: %s', (_, over, expected) => expect(aliasRefusal(input, alias(over))).toBe(expected));
});

describe('routingRefusal', () => {
  const DLQ = 'arn:aws:sqs:us-east-1:123456789012:dlq';
  it.each<[string, Partial<VersionConfig>, Partial<VersionConfig>, string | undefined]>([
    ['routable together', {}, {}, undefined],
    ['a target not Active', { state: 'Pending' }, {}, 'version 2 is Pending, not Active'],
    ['a target whose update did not succeed', { lastUpdateStatus: 'InProgress' }, {}, "version 2's last update is InProgress, not Successful"],
    ['a baseline not Active', {}, { state: 'Inactive' }, 'baseline version 1 is Inactive, not Active'],
    ['different roles', { role: 'arn:aws:iam::123456789012:role/other' }, {}, `versions 1 and 2 have different execution roles (${ROLE} vs arn:aws:iam::123456789012:role/other); Lambda cannot route one alias to both`],
    ['different dead-letter targets', { deadLetterTargetArn: DLQ }, {}, `versions 1 and 2 have different dead-letter targets (none vs ${DLQ}); Lambda cannot route one alias to both`],
    ['the same dead-letter target', { deadLetterTargetArn: DLQ }, { deadLetterTargetArn: DLQ }, undefined],
  ])('%s: %s', (_, target, baseline, expected) => expect(routingRefusal(version('2', target), version('1', baseline))).toBe(expected));
});

describe('alarmRefusal', () => {
  it.each<[string[], string[], string | undefined]>([
    [['orders-errors'], ['orders-errors'], undefined],
    [['orders-errors', 'orders-latnecy'], ['orders-errors'], 'health.alarms.names: "orders-latnecy" does not exist; a missing alarm would never fire'],
    [['a', 'b'], [], 'health.alarms.names: "a", "b" do not exist; a missing alarm would never fire'],
  ])('%j with %j found: %s', (watched, found, expected) => expect(alarmRefusal(watched, found)).toBe(expected));
});

describe('preparedState', () => {
  const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:r1', name: 'r1', startTime: '2026-01-05T10:00:00.000Z' };
  const parsed = parseRolloutInput({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes' });

  it('starts on the alias as read: baseline, RevisionId, the first step', () => {
    const state = preparedState(parsed, alias({ revisionId: 'r7' }), execution, 0);
    expect(state.rollout).toMatchObject({ id: 'r1', executionArn: execution.id, functionName: 'orders', alias: 'live', baselineVersion: '1', targetVersion: '2', startedAt: execution.startTime });
    expect(state.alias).toEqual({ functionVersion: '1', routing: {}, revisionId: 'r7' });
    expect(state.cursor).toMatchObject({ step: 0, weightPercent: 10, next: 'shift' });
    expect(state.history).toEqual([]);
  });

  it('takes the caller-given rollout id, and the time when the execution has none', () => {
    const named = parseRolloutInput({ ...parsed.input, rolloutId: 'build-417' });
    const state = preparedState(named, alias(), { id: execution.id, name: 'r1' }, Date.UTC(2026, 0, 5, 11));
    expect(state.rollout).toMatchObject({ id: 'build-417', startedAt: '2026-01-05T11:00:00.000Z' });
  });
});
