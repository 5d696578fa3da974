/**
 * Hostile input at every entry point: the workflow input (the real workflow, in the in-memory
 * world), the API (start, list, path ids, abort, Idempotency-Key), the artifact trigger (keys,
 * tags, metadata) and the CLI's options. Each is refused with a message that names the field and
 * the rule, and nothing changes: no lock, no record, no execution, no alias write.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { checkSimulateOptions, parseStrategyText } from '../../cli/options.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { parseRolloutInput } from '../../functions/core/input.js';
import { makeApi } from '../../functions/tasks/api.js';
import { makeArtifactTrigger, type ObjectCreatedEvent } from '../../functions/tasks/artifact-trigger.js';
import { InMemoryControlStore } from '../../sim/control-store.js';
import { InMemoryIdempotencyStore, InMemoryRolloutRegistry } from '../../sim/registry.js';
import { SimTaskTokens } from '../../sim/task-tokens.js';
import { RecordingNotifier } from '../../sim/notifier.js';
import { SimLambda } from '../../sim/lambda.js';
import { SimWorld } from '../../sim/world.js';
import { apiEvent, type Call } from '../unit/support/api-event.js';
import { FakeWorkflow } from '../unit/support/fake-workflow.js';
import { T0 } from '../unit/support/rollouts.js';

const deep = (n: number): unknown => Array.from({ length: n - 1 }).reduce<unknown>((inner) => ({ inner }), {});
/** JSON text of arrays `n` levels deep (JSON.stringify of such a value would exhaust the stack). */
const deepText = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const base = { functionName: 'orders', alias: 'live', targetVersion: '2' };
const withKey = (key: string) => JSON.parse(`{"functionName":"orders","alias":"live","targetVersion":"2","${key}":{"polluted":true}}`) as object;

/** A hostile rollout input and the field and rule its refusal must name. */
const ROLLOUT_INPUTS: [what: string, field: string, rule: string | RegExp, input: unknown][] = [
  ['huge (a 40 KB field)', '(input)', /must be at most 32768 bytes as JSON/, { ...base, rolloutId: 'r'.repeat(40_000) }],
  // 40 levels: past the limit (5,000 are refused the same way, test/unit/core/input.test.ts), and within what the local interpreter copies quickly.
  ['deep (40 levels)', '(input)', 'must nest objects and arrays at most 32 deep', { ...base, strategy: deep(40) }],
  ['a 20 KB probe payload', 'health.probes.payload', 'must be at most 16384 bytes as JSON', { ...base, health: { probes: { payload: 'x'.repeat(20_000) } } }],
  ['unicode in the function name', 'functionName', 'must be a function name', { ...base, functionName: 'ördërs' }],
  ['unicode in the alias', 'alias', 'must be 1-128 letters, digits', { ...base, alias: 'lïve' }],
  ['a __proto__ key', '__proto__', 'is not a known field', withKey('__proto__')],
  ['a constructor key', 'constructor', 'is not a known field', withKey('constructor')],
  ['a number as a string', 'strategy.percent', 'must be a number', { ...base, strategy: { type: 'canary', percent: '10', bakeSeconds: 60 } }],
  ['NaN', 'targetVersion', 'must be a published version number', { ...base, targetVersion: Number.NaN }],
  ['Infinity', 'health.minRequests', 'must be a whole number', { ...base, health: { minRequests: Number.POSITIVE_INFINITY } }],
  ['a version beyond 2^53', 'targetVersion', 'a whole number up to 9007199254740991', { ...base, targetVersion: 12345678901234567890 }],
  ["another account's ARN", 'functionName', 'must name a function where this service runs', { ...base, functionName: 'arn:aws:lambda:us-east-1:999999999999:function:orders' }],
  ['$LATEST', 'targetVersion', '$LATEST cannot be routed by weight', { ...base, targetVersion: '$LATEST' }],
  ['an alias with a slash', 'alias', 'must be 1-128 letters, digits', { ...base, alias: 'live/blue' }],
  ['a function that is not allowed', 'functionName', 'is not one of the allowed functions', { ...base, functionName: 'payments' }],
  ['null', '(input)', 'must be a JSON object', null],
];

describe('the workflow input (Prepare)', () => {
  it.each(ROLLOUT_INPUTS)('%s: refused naming %s, nothing changed', async (_, field, rule, input) => {
    const w = new SimWorld({ rate: 50, baseline: { errorRate: 0, p50Ms: 40, p99Ms: 200 }, target: { errorRate: 0, p50Ms: 40, p99Ms: 200 }, metricDelaySeconds: 0 });
    const run = await w.rehearse(input);
    expect(run.error?.Error).toBe('InvalidRolloutInput');
    expect(run.error?.Cause).toContain(`${field}: `);
    expect(run.error?.Cause).toMatch(rule);
    expect(w.lambda.calls.filter((c) => c.op === 'updateAlias')).toEqual([]);
    expect(w.lambda.aliasChanges.filter((c) => c.by === 'rollout')).toEqual([]);
    expect(await w.registry.getLock('orders', 'live')).toBeUndefined();
    expect(w.registry.allRecords).toEqual([]);
  });
});

describe('the API', () => {
  const NOW = T0 + 60_000;
  const scope = { allowedFunctions: ['orders'], home: { partition: 'aws', region: 'eu-west-1', account: '123456789012' } };
  function api() {
    const registry = new InMemoryRolloutRegistry();
    const idempotency = new InMemoryIdempotencyStore();
    const workflow = new FakeWorkflow(() => NOW);
    const claims: string[] = [];
    const claim = idempotency.claim.bind(idempotency);
    idempotency.claim = async (...args) => (claims.push(args[0]), claim(...args));
    const handle = makeApi({ registry, idempotency, workflow, controls: new InMemoryControlStore(), tokens: new SimTaskTokens(), clock: { now: () => NOW }, ids: { newId: () => 'id0001' }, scope });
    const call = (method: string, resource: string, c: Call = {}) => handle(apiEvent(NOW, method, resource, c));
    const nothingChanged = async () => {
      expect(await registry.getLock('orders', 'live')).toBeUndefined();
      expect(registry.allRecords).toEqual([]);
      expect(workflow.calls.filter((c) => c.op === 'start' || c.op === 'stop')).toEqual([]);
      expect(claims).toEqual([]);
    };
    return { call, nothingChanged };
  }
  const refused = (res: APIGatewayProxyResult, field: string, rule: string | RegExp) => {
    expect(res.statusCode).toBe(400);
    const errors = (JSON.parse(res.body) as { errors: { field: string; rule: string }[] }).errors;
    expect(errors.map((e) => e.field)).toContain(field);
    expect(errors.find((e) => e.field === field)?.rule).toMatch(rule);
  };

  it.each(ROLLOUT_INPUTS.filter(([what]) => what !== 'NaN' && what !== 'Infinity'))('POST /rollouts, %s: 400 naming %s, nothing changed', async (what, field, rule, input) => {
    const { call, nothingChanged } = api();
    const rawBody =
      what === 'a version beyond 2^53'
        ? '{"functionName":"orders","alias":"live","targetVersion":12345678901234567890}'
        : what.startsWith('deep')
          ? `{"functionName":"orders","alias":"live","targetVersion":"2","strategy":${deepText(5000)}}`
          : JSON.stringify(input);
    // A body over the limit is refused as a whole, before it is parsed.
    // JSON's parser itself refuses __proto__ keys (@middy/http-json-body-parser), naming the key.
    const [f, r] = what.startsWith('huge')
      ? ['(body)', /must be at most 32768 bytes/]
      : what.startsWith('deep')
        ? ['(body)', 'must nest objects and arrays at most 32 deep']
        : what === 'a __proto__ key'
          ? ['(body)', 'must not use the key "__proto__"']
          : [field, rule];
    refused(await call('POST', '/rollouts', { rawBody }), what === 'null' ? '(body)' : f, what === 'null' ? /is required/ : r);
    await nothingChanged();
  });

  it.each([
    ['a release block', 'release', 'is set by the artifact trigger only', { ...base, release: { s3Bucket: 'b', s3Key: 'k.zip', s3ObjectVersion: 'v' } }],
    ['NaN and Infinity, which JSON cannot carry', '(body)', 'must be valid JSON', '{"functionName":"orders","alias":"live","targetVersion":NaN}'],
  ])('POST /rollouts, %s: 400 naming %s, nothing changed', async (_, field, rule, body) => {
    const { call, nothingChanged } = api();
    refused(await call('POST', '/rollouts', typeof body === 'string' ? { rawBody: body } : { body }), field, rule);
    await nothingChanged();
  });

  it.each([
    ['empty', ''],
    ['unicode', 'ключ-1'],
    ['300 characters', 'k'.repeat(300)],
  ])('an Idempotency-Key that is %s: 400 naming the header, nothing changed', async (_, key) => {
    const { call, nothingChanged } = api();
    refused(await call('POST', '/rollouts', { body: base, headers: { 'Idempotency-Key': key } }), 'Idempotency-Key', 'must be 1-255 visible ASCII characters');
    await nothingChanged();
  });

  it.each([
    [{ limit: 'NaN' }, 'limit', 'must be a whole number from 1 to 100'],
    [{ limit: 'Infinity' }, 'limit', 'must be a whole number from 1 to 100'],
    [{ limit: '1e3' }, 'limit', 'must be a whole number from 1 to 100'],
    [{ status: '__proto__' }, 'status', 'must be one of'],
    [{ constructor: 'x' }, 'constructor', 'is not a known field'],
    [{ functionName: 'orders', alias: 'live/blue' }, 'alias', 'must be 1-128 letters, digits'],
    [{ functionName: 'arn:aws:lambda:eu-west-1:999999999999:function:orders' }, 'functionName', 'this ARN names account 999999999999'],
    [{ functionName: 'ördërs' }, 'functionName', 'must be a function name'],
    [{ nextToken: 'x'.repeat(5000) }, 'nextToken', "is not a token this API returned"],
  ])('GET /rollouts?%o: 400 naming %s', async (query, field, rule) => {
    const { call, nothingChanged } = api();
    refused(await call('GET', '/rollouts', { query: query as Record<string, string> }), field, rule);
    await nothingChanged();
  });

  it.each([
    ['a malformed %-escape', '%E0%A4%A', 'must be %-encoded correctly'],
    ['a path through the API', '..%2F..%2Fetc%2Fpasswd', 'must be a rollout id'],
    ['81 characters', 'r'.repeat(81), 'must be a rollout id'],
    ['a control character', 'r%00x', 'must be a rollout id'],
  ])('a path id with %s: 400 naming id', async (_, id, rule) => {
    const { call, nothingChanged } = api();
    for (const [method, path] of [['GET', `/v1/rollouts/${id}`], ['POST', `/v1/rollouts/${id}/abort`]] as const) {
      const res = await call(method, '/{proxy+}', { path, body: { reason: 'stop' } });
      refused(res, 'id', rule);
    }
    await nothingChanged();
  });

  it.each([
    ['an empty reason', 'reason', 'must not be empty', { reason: '' }],
    ['a 2,000-character reason', 'reason', 'must be at most 1024 characters', { reason: 'x'.repeat(2000) }],
    ['a number as the reason', 'reason', 'is required', { reason: 42 }],
    ['a constructor key', 'constructor', 'is not a known field', { reason: 'stop', constructor: 'x' }],
    ['deep (5,000 levels)', '(body)', 'must nest objects and arrays at most 32 deep', `{"reason":"stop","x":${deepText(5000)}}`],
  ])('POST /rollouts/{id}/abort with %s: 400 naming %s, nothing stopped', async (_, field, rule, body) => {
    const { call, nothingChanged } = api();
    refused(await call('POST', '/rollouts/{id}/abort', { path: '/rollouts/r1/abort', rawBody: typeof body === 'string' ? body : JSON.stringify(body) }), field, rule);
    await nothingChanged();
  });
});

describe('the artifact trigger', () => {
  const BUCKET = 'lambda-rollout-artifacts';
  const config = { bucket: BUCKET, prefix: 'releases/', allowedFunctions: ['orders-*'], home: { partition: 'aws', region: 'eu-west-1', account: '123456789012' } };
  const objectCreated = (key: string): ObjectCreatedEvent => ({
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: { bucket: { name: BUCKET }, object: { key, 'version-id': 'v-1' } },
  });
  function trigger(tags: Record<string, string> = {}, metadata: Record<string, string> = {}) {
    const lambda = new SimLambda();
    lambda.createFunction('orders-api');
    const starts: unknown[] = [];
    const notifier = new RecordingNotifier();
    const run = makeArtifactTrigger({
      lambda,
      artifacts: { readArtifact: async () => ({ tags, metadata }) },
      starter: { start: async (name, input) => (starts.push({ name, input }), { executionArn: `arn:${name}`, alreadyStarted: false }) },
      notifier,
      clock: { now: () => T0 },
      config,
    });
    return { run, starts, notifier };
  }

  it.each([
    ['a path out of the prefix', 'releases/orders-api/live/../x.zip', 'expected functionName/alias/build.zip after the prefix, found 4 parts'],
    ['unicode in the function name', 'releases/ördërs-api/live/1.zip', 'the function name'],
    ['an alias with a slash', 'releases/orders-api/live/blue/1.zip', 'expected functionName/alias/build.zip after the prefix, found 4 parts'],
    ['$LATEST as the alias', 'releases/orders-api/$LATEST/1.zip', "the alias '$LATEST' must be"],
    ['__proto__ as the function', 'releases/__proto__/live/1.zip', 'function __proto__ is not in the allowed functions'],
    ['a huge build label', `releases/orders-api/live/${'b'.repeat(1000)}.zip`, 'must be 1-128 letters'],
  ])('a key with %s starts nothing, saying why', async (_, key, reason) => {
    const { run, starts, notifier } = trigger();
    const result = await run(objectCreated(key));
    expect(result).toEqual({ started: false, reason: expect.stringContaining(reason) });
    expect(starts).toEqual([]);
    expect(notifier.published.map((n) => n.type)).toEqual(['refused']);
  });

  it.each([
    ['NaN as the strategy tag', { 'rollout-strategy': 'NaN' }, {}, 'rollout-strategy is not a strategy: "NaN" is not a preset'],
    ['a number as a string in the strategy', {}, { 'rollout-strategy': '{"type":"canary","percent":"10","bakeSeconds":60}' }, 'rollout-strategy is not a strategy: percent: the canary weight must be a number'],
    ['a __proto__ key in the strategy', {}, { 'rollout-strategy': '{"__proto__":{"type":"allAtOnce"},"type":"allAtOnce"}' }, 'rollout-strategy is not a strategy: __proto__: is not a known field'],
    ['a deep strategy', {}, { 'rollout-strategy': `${'['.repeat(500)}${']'.repeat(500)}` }, 'rollout-strategy must nest objects and arrays at most 32 deep'],
    ['a 300-character description', { 'rollout-description': 'd'.repeat(300) }, {}, 'rollout-description must be at most 256 characters'],
    ['tags and metadata that disagree', { 'rollout-strategy': 'AllAtOnce' }, { 'rollout-strategy': 'Linear10PercentEvery1Minute' }, 'disagree; set only one'],
  ])('%s starts nothing, saying why', async (_, tags, metadata, reason) => {
    const { run, starts } = trigger(tags, metadata);
    const result = await run(objectCreated('releases/orders-api/live/1.zip'));
    expect(result).toEqual({ started: false, reason: expect.stringContaining(reason) });
    expect(starts).toEqual([]);
  });
});

describe('the CLI options', () => {
  it.each([
    [{ rps: 'NaN' }, '--rps'],
    [{ rps: 'Infinity' }, '--rps'],
    [{ rps: '1e308' }, '--rps'],
    [{ rps: '0x10' }, '--rps'],
    [{ rps: '١٠' }, '--rps'],
    [{ seed: '__proto__' }, '--seed'],
    [{ canaryErrorRate: 'NaN' }, '--canary-error-rate'],
    [{ metricDelaySeconds: '1e308' }, '--metric-delay-seconds'],
    [{ runs: '1e4' }, '--runs'],
    [{ report: '../../etc/passwd' }, '--report'],
    [{ scenario: ' ' }, '--scenario'],
  ])('%o is refused naming %s and the rule, with the value', (raw, option) => {
    const checked = checkSimulateOptions(raw);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problems[0]).toMatch(new RegExp(`^${option.replace(/-/g, '\\-')}: must `));
  });

  it.each([
    ['deep', `{"type":"steps","steps":${'['.repeat(5000)}${']'.repeat(5000)}}`, '(input): must nest objects and arrays at most 32 deep'],
    ['__proto__', '{"__proto__":{},"type":"allAtOnce"}', 'strategy.__proto__: is not a known field'],
    ['a number as a string', '{"type":"canary","percent":"10","bakeSeconds":60}', 'strategy.percent: the canary weight must be a number'],
  ])('a %s --strategy is refused by the rollout input rules, naming the field', (_, text, message) => {
    const parsed = parseStrategyText(text);
    expect(parsed.ok).toBe(true);
    const refusal = (() => {
      try {
        parseRolloutInput({ ...base, strategy: parsed.ok ? parsed.strategy : undefined });
      } catch (error) {
        return (error as InvalidInputError).issues.map((i) => `${i.field}: ${i.rule}`);
      }
      return [];
    })();
    expect(refusal.join('\n')).toContain(message);
  });
});
