import { sha256Hex } from '../../../functions/sha256.js';
import { describe, expect, it } from 'vitest';
import {
  allowedFunctionRef,
  artifactSettings,
  globMatch,
  parseAllowedFunctions,
  parseArtifactKey,
  prefixProblem,
  releaseExecutionName,
  releaseRolloutInput,
} from '../../../functions/core/artifact.js';
import { defaultDescription } from '../../../functions/core/release.js';

describe('parseArtifactKey', () => {
  it.each([
    ['releases/orders/live/42.zip', 'releases/', { functionName: 'orders', alias: 'live', build: '42' }],
    ['releases/orders-api_v2/prod-eu/2026-01-05.3.zip', 'releases/', { functionName: 'orders-api_v2', alias: 'prod-eu', build: '2026-01-05.3' }],
    ['orders/live/abc123.zip', '', { functionName: 'orders', alias: 'live', build: 'abc123' }],
    ['ci/out/orders/live/7.zip', 'ci/out/', { functionName: 'orders', alias: 'live', build: '7' }],
    [`releases/${'f'.repeat(64)}/${'a'.repeat(128)}/${'b'.repeat(128)}.zip`, 'releases/', { functionName: 'f'.repeat(64), alias: 'a'.repeat(128), build: 'b'.repeat(128) }],
  ])('%s under %j names %j', (key, prefix, expected) => {
    expect(parseArtifactKey(key, prefix)).toEqual({ ok: true, ...expected });
  });

  it.each([
    ['other/orders/live/42.zip', 'releases/', "it is not under the prefix 'releases/'"],
    ['releases/orders/42.zip', 'releases/', 'expected functionName/alias/build.zip after the prefix, found 2 parts'],
    ['releases/orders/live/x/42.zip', 'releases/', 'found 4 parts'],
    ['releases/orders.zip', 'releases/', 'found 1 part'],
    ['releases/or ders/live/42.zip', 'releases/', `the function name 'or ders' must be 1-64 letters, digits, "-" or "_"`],
    [`releases/${'f'.repeat(65)}/live/42.zip`, 'releases/', 'the function name'],
    ['releases//live/42.zip', 'releases/', `the function name '' must be`],
    ['releases/orders/123/42.zip', 'releases/', `the alias '123' must be 1-128 letters, digits, "-" or "_", not all digits`],
    ['releases/orders/li+ve/42.zip', 'releases/', `the alias 'li+ve'`],
    ['releases/orders/live/42.jar', 'releases/', `the file '42.jar' must end with .zip`],
    ['releases/orders/live/.zip', 'releases/', `the build '' must be 1-128 letters, digits, ".", "-" or "_"`],
    ['releases/orders/live/4%202.zip', 'releases/', `the build '4%202'`],
  ])('refuses %s (prefix %j): %s', (key, prefix, rule) => {
    const result = parseArtifactKey(key, prefix);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain(`key '${key}' breaks the convention <prefix><functionName>/<alias>/<build>.zip`);
      expect(result.reason).toContain(rule);
      expect(result.reason).not.toContain('\n');
    }
  });
});

describe('prefixProblem', () => {
  it.each(['', 'releases/', 'a/b.c/d_e-f/'])('accepts %j', (prefix) => expect(prefixProblem(prefix)).toBeUndefined());
  it.each(['releases', '/releases/', 'rel eases/', 'a//', 'x*/'])('refuses %j', (prefix) =>
    expect(prefixProblem(prefix)).toContain(`received '${prefix}'`));
});

describe('allow-list', () => {
  it.each([
    ['orders-*', 'orders-api', true],
    ['orders-*', 'orders-', true],
    ['orders-*', 'legacy-orders-api', false],
    ['*-api', 'orders-api', true],
    ['orders', 'orders', true],
    ['orders', 'orders2', false],
    ['o.ders', 'orders', false],
  ])('globMatch(%j, %j) is %s', (pattern, name, expected) => expect(globMatch(pattern, name)).toBe(expected));

  const ENTRIES = ['orders-*', 'arn:aws:lambda:eu-west-1:123456789012:function:payments', 'arn:aws:lambda:eu-west-1:123456789012:function:billing-*'];
  it.each([
    ['orders-api', 'orders-api'],
    ['payments', 'arn:aws:lambda:eu-west-1:123456789012:function:payments'],
    ['billing-eu', 'arn:aws:lambda:eu-west-1:123456789012:function:billing-eu'],
    ['payments-v2', undefined],
    ['inventory', undefined],
  ])('allowedFunctionRef(%j) is %j', (name, expected) => expect(allowedFunctionRef(name, ENTRIES)).toBe(expected));

  it('takes the first matching entry', () => {
    expect(allowedFunctionRef('payments', ['payments', ENTRIES[1]!])).toBe('payments');
  });

  it('parses the comma-separated list from the environment', () => {
    expect(parseAllowedFunctions(' orders-*, payments ,,')).toEqual(['orders-*', 'payments']);
    expect(parseAllowedFunctions(undefined)).toEqual([]);
  });
});

describe('artifactSettings', () => {
  it.each([
    ['nothing', {}, {}, {}],
    ['a preset tag', { 'rollout-strategy': 'Linear10PercentEvery1Minute' }, {}, { strategy: 'Linear10PercentEvery1Minute' }],
    ['a CodeDeploy name in metadata', {}, { 'rollout-strategy': 'CodeDeployDefault.LambdaAllAtOnce' }, { strategy: 'CodeDeployDefault.LambdaAllAtOnce' }],
    ['JSON in metadata', {}, { 'rollout-strategy': '{"type":"canary","percent":5,"bakeSeconds":600}' }, { strategy: { type: 'canary', percent: 5, bakeSeconds: 600 } }],
    ['the same value in both', { 'rollout-strategy': 'AllAtOnce' }, { 'rollout-strategy': 'AllAtOnce' }, { strategy: 'AllAtOnce' }],
    ['a description', { 'rollout-description': 'fix: retries' }, {}, { description: 'fix: retries' }],
    ['blank values', { 'rollout-strategy': '  ' }, { 'rollout-description': '' }, {}],
  ])('reads %s', (_, tags, metadata, expected) => {
    expect(artifactSettings(tags, metadata)).toEqual({ ok: true, ...expected });
  });

  it.each([
    ['an unknown preset', { 'rollout-strategy': 'Canary50Percent' }, {}, 'rollout-strategy is not a strategy: "Canary50Percent" is not a preset'],
    ['broken JSON', {}, { 'rollout-strategy': '{"type":' }, 'rollout-strategy is not valid JSON'],
    ['a bad strategy object', {}, { 'rollout-strategy': '{"type":"canary","percent":150,"bakeSeconds":600}' }, 'rollout-strategy is not a strategy: percent: the canary weight must be more than 0 and less than 100'],
    ['disagreeing tag and metadata', { 'rollout-strategy': 'AllAtOnce' }, { 'rollout-strategy': 'Linear10PercentEvery1Minute' }, "tag rollout-strategy ('AllAtOnce') and metadata rollout-strategy ('Linear10PercentEvery1Minute') disagree; set only one"],
    ['a description over 256 characters', { 'rollout-description': 'x'.repeat(257) }, {}, 'rollout-description must be at most 256 characters'],
  ])('refuses %s', (_, tags, metadata, reason) => {
    const result = artifactSettings(tags, metadata);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe('releaseExecutionName', () => {
  const base = { bucket: 'artifacts', key: 'releases/orders/live/42.zip', versionId: 'v1', functionName: 'orders', alias: 'live' };

  it('is readable, 80 characters of [A-Za-z0-9_-] at most, and the same for the same object version', () => {
    const name = releaseExecutionName(base, sha256Hex);
    expect(name).toMatch(/^orders-live-[0-9a-f]{32}$/);
    expect(releaseExecutionName({ ...base }, sha256Hex)).toBe(name);
    const long = releaseExecutionName({ ...base, functionName: 'f'.repeat(64), alias: 'a'.repeat(128) }, sha256Hex);
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it.each([
    ['another version', { versionId: 'v2' }],
    ['another key', { key: 'releases/orders/live/43.zip' }],
    ['another bucket', { bucket: 'artifacts-2' }],
    ['a boundary shift', { bucket: 'artifacts\nreleases', key: 'orders/live/42.zip' }],
  ])('differs for %s', (_, change) => {
    expect(releaseExecutionName({ ...base, ...change }, sha256Hex)).not.toBe(releaseExecutionName(base, sha256Hex));
  });
});

describe('releaseRolloutInput', () => {
  const key = { functionName: 'orders', alias: 'live', build: '42' };
  const args = { functionRef: 'orders', key, bucket: 'artifacts', objectKey: 'releases/orders/live/42.zip', versionId: 'v1' };

  it('builds the input without a strategy when none is set, with the default description', () => {
    expect(releaseRolloutInput({ ...args, settings: {} })).toEqual({
      functionName: 'orders',
      alias: 'live',
      release: {
        s3Bucket: 'artifacts',
        s3Key: 'releases/orders/live/42.zip',
        s3ObjectVersion: 'v1',
        build: '42',
        description: 'lambda-rollout build 42 from s3://artifacts/releases/orders/live/42.zip (version v1)',
      },
    });
  });

  it('carries the strategy and description from the artifact', () => {
    const input = releaseRolloutInput({ ...args, settings: { strategy: 'AllAtOnce', description: 'hotfix' } });
    expect(input.strategy).toBe('AllAtOnce');
    expect(input.release.description).toBe('hotfix');
  });

  it('keeps the default description within 256 characters', () => {
    expect(defaultDescription({ s3Bucket: 'b', s3Key: 'k'.repeat(400), s3ObjectVersion: 'v', build: '1' })).toHaveLength(256);
  });
});
