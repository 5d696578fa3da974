/** The rollout API as a caller sees it: statuses, bodies, and what it did to the registry and Step Functions. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorName, RejectedError, ThrottledError, TransientError } from '../../../functions/core/errors.js';
import { parseRolloutInput } from '../../../functions/core/input.js';
import { continuationInput } from '../../../functions/core/continuation.js';
import { makeApi } from '../../../functions/tasks/api.js';
import { STALE_PENDING_MS } from '../../../functions/tasks/start-with-lock.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { InMemoryIdempotencyStore, InMemoryRolloutRegistry } from '../../../sim/registry.js';
import { apiEvent, type Call } from '../support/api-event.js';
import { InMemoryControlStore } from '../../../sim/control-store.js';
import { SimTaskTokens } from '../../../sim/task-tokens.js';
import { FakeWorkflow } from '../support/fake-workflow.js';
import { CALLER, ending, executionArn, handOverTo, iso, lockRequest, runningState, T0 } from '../support/rollouts.js';
import { progressUpdateFor } from '../../../functions/core/registry.js';
import { emptyControl } from '../../../functions/core/control.js';

const NOW = T0 + 60_000;
/** The allowed functions, in the account and region of the state machine (test/unit/support/rollouts.ts). */
const SCOPE = { allowedFunctions: ['orders', 'f*'], home: { partition: 'aws', region: 'eu-west-1', account: '123456789012' } };
let registry: InMemoryRolloutRegistry;
let idempotency: InMemoryIdempotencyStore;
let workflow: FakeWorkflow;
let controls: InMemoryControlStore;
let tokens: SimTaskTokens;
let nextId: number;
let api: ReturnType<typeof makeApi>;

beforeEach(() => {
  registry = new InMemoryRolloutRegistry();
  idempotency = new InMemoryIdempotencyStore();
  workflow = new FakeWorkflow(() => NOW);
  controls = new InMemoryControlStore();
  tokens = new SimTaskTokens();
  nextId = 0;
  api = makeApi({ registry, idempotency, workflow, controls, tokens, clock: { now: () => NOW }, scope: SCOPE, ids: { newId: () => `id${String(++nextId).padStart(4, '0')}` } });
});

/** An API Gateway REST proxy event, as the resource `resource` receives it. */
const event = (method: string, resource: string, call: Call = {}) => apiEvent(NOW, method, resource, call);

const body = (r: APIGatewayProxyResult) => JSON.parse(r.body) as Record<string, unknown>;
const start = (input: unknown, call: Call = {}) => api(event('POST', '/rollouts', { body: input, ...call }));
const valid = { functionName: 'orders', alias: 'live', targetVersion: '8', strategy: 'Linear10PercentEvery1Minute' };
const starts = () => workflow.calls.filter((c) => c.op === 'start');

describe('POST /rollouts', () => {
  it('takes the lock, starts the execution and answers 202 with the rollout, its execution and the console link', async () => {
    const res = await start(valid);
    expect(res.statusCode).toBe(202);
    const name = 'orders-live-v8-id0001';
    expect(body(res)).toEqual({
      rolloutId: name,
      executionArn: executionArn(name),
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn(name)}`,
    });
    expect(res.headers).toMatchObject({ 'Content-Type': 'application/json', Location: `/v1/rollouts/${name}` });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: name, executionArn: executionArn(name), status: 'pending', startedBy: CALLER, startedAt: iso(NOW) });
    expect(starts()).toHaveLength(1);
    const [startedName, input] = starts()[0]?.args as [string, Record<string, unknown>];
    expect(startedName).toBe(name);
    // The workflow gets an input Prepare accepts, naming the rollout as the registry does.
    expect(input).toMatchObject({ functionName: 'orders', alias: 'live', targetVersion: '8', rolloutId: name });
    expect(parseRolloutInput(input).plan).toEqual(parseRolloutInput(valid).plan);
  });

  it("accepts aws-lambda-deploy's format and starts it in ours", async () => {
    const res = await start({ 'function-name': 'orders', 'alias-name': 'live', 'new-version': '8', steps: 4, interval: 120, type: 'linear' });
    expect(res.statusCode).toBe(202);
    const input = starts()[0]?.args[1] as Record<string, unknown>;
    expect(input).toMatchObject({ functionName: 'orders', alias: 'live', targetVersion: '8', strategy: { type: 'steps' } });
    // Four steps: 25, 50 and 75% for the interval each, then promotion.
    expect(parseRolloutInput(input).plan.steps).toEqual([25, 50, 75].map((weightPercent) => ({ weightPercent, bakeSeconds: 120 })));
  });

  it('uses the caller\'s rollout id when given, and an execution name within Step Functions\' limits', async () => {
    const longFn = 'f'.repeat(64);
    const res = await start({ ...valid, functionName: longFn, alias: 'a'.repeat(100), rolloutId: 'release-2026-01-05' });
    expect(body(res).rolloutId).toBe('release-2026-01-05');
    const name = starts()[0]?.args[0] as string;
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+-v8-id0001$/);
  });

  it.each([
    [{ ...valid, functionName: undefined }, [{ field: 'functionName', rule: expect.stringContaining('is required') }]],
    [{ ...valid, alias: '123' }, [{ field: 'alias', rule: 'must be 1-128 letters, digits, "-" or "_", not all digits' }]],
    [{ ...valid, targetVersion: '$LATEST' }, [{ field: 'targetVersion', rule: expect.stringContaining('must be a published version') }]],
    [{ ...valid, strategy: 'Canary99Percent' }, [{ field: 'strategy', rule: expect.stringContaining('is not a preset') }]],
    [{ ...valid, colour: 'blue' }, [{ field: 'colour', rule: 'is not a known field' }]],
    [
      { ...valid, alias: '', health: { minRequests: 0 } },
      [
        { field: 'alias', rule: expect.any(String) },
        { field: 'health.minRequests', rule: expect.any(String) },
      ],
    ],
  ])('refuses %j with 400, one error per invalid field, changing nothing', async (input, errors) => {
    const res = await start(input);
    expect(res.statusCode).toBe(400);
    expect(body(res)).toEqual({ errors });
    expect(await registry.getLock('orders', 'live')).toBeUndefined();
    expect(starts()).toEqual([]);
  });

  describe('only the allowed functions, where the service runs', () => {
    const ARN = (partition: string, region: string, account: string) => `arn:${partition}:lambda:${region}:${account}:function:orders`;
    const nothingChanged = async () => {
      expect(await registry.getLock('orders', 'live')).toBeUndefined();
      expect((await registry.list({ limit: 10 })).items).toEqual([]);
      expect(starts()).toEqual([]);
    };

    it('refuses a function that is not on the allow-list with 400 naming functionName and the rule, taking no lock', async () => {
      const res = await start({ ...valid, functionName: 'inventory' });
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({ errors: [{ field: 'functionName', rule: 'function inventory is not one of the allowed functions (orders, f*); the service may only roll out those' }] });
      await nothingChanged();
    });

    it.each([
      ['another account', ARN('aws', 'eu-west-1', '999999999999'), 'account 999999999999'],
      ['another region', ARN('aws', 'us-east-1', '123456789012'), 'region us-east-1'],
      ['another partition', ARN('aws-cn', 'eu-west-1', '123456789012'), 'partition aws-cn'],
    ])("refuses the ARN of a function in %s, which would take the local function's lock", async (_, functionName, names) => {
      const res = await start({ ...valid, functionName });
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({
        errors: [{ field: 'functionName', rule: `must name a function where this service runs (partition aws, region eu-west-1, account 123456789012); this ARN names ${names}` }],
      });
      await nothingChanged();
    });

    it('starts the ARN of a local allowed function, under the local lock', async () => {
      const res = await start({ ...valid, functionName: ARN('aws', 'eu-west-1', '123456789012') });
      expect(res.statusCode).toBe(202);
      expect(await registry.getLock('orders', 'live')).toMatchObject({ functionName: ARN('aws', 'eu-west-1', '123456789012') });
    });

    it('refuses a release block: only the artifact trigger starts a code release', async () => {
      const release = { s3Bucket: 'someone-elses-bucket', s3Key: 'x.zip', s3ObjectVersion: 'v1' };
      const res = await start({ ...valid, release });
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({ errors: [{ field: 'release', rule: 'is set by the artifact trigger only' }] });
      await nothingChanged();
      // Reported with every other broken rule at once.
      expect(body(await start({ ...valid, functionName: 'inventory', alias: '', release }))).toEqual({
        errors: [
          { field: 'release', rule: 'is set by the artifact trigger only' },
          { field: 'alias', rule: expect.any(String) },
        ],
      });
    });

    it('refuses a list query for the ARN of a function elsewhere, which would list the local function', async () => {
      const res = await api(event('GET', '/rollouts', { query: { functionName: ARN('aws', 'eu-west-1', '999999999999') } }));
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({ errors: [{ field: 'functionName', rule: expect.stringContaining('this ARN names account 999999999999') }] });
    });
  });

  describe('too large, too deep, or a number that lost its digits: 400 before anything is parsed or changed', () => {
    const nothingChanged = async () => {
      expect(await registry.getLock('orders', 'live')).toBeUndefined();
      expect((await registry.list({ limit: 10 })).items).toEqual([]);
      expect(starts()).toEqual([]);
    };

    it('a 300 KB probe payload: the body is over the limit', async () => {
      const res = await start({ ...valid, health: { probes: { payload: { blob: 'x'.repeat(300_000) } } } });
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({ errors: [{ field: '(body)', rule: expect.stringMatching(/^must be at most 32768 bytes; this is 300\d{3}$/) }] });
      await nothingChanged();
    });

    it('a 20 KB probe payload in a body under the limit: the payload is named', async () => {
      const res = await start({ ...valid, health: { probes: { payload: { blob: 'x'.repeat(20_000) } } } });
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({ errors: [{ field: 'health.probes.payload', rule: 'must be at most 16384 bytes as JSON' }] });
      await nothingChanged();
    });

    it('a body just under the limit that the defaults would take over it: refused here, not by Prepare after a 202', async () => {
      const names = Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(250, 'a'));
      const bare = { ...valid, rolloutId: 'r-1', health: { alarms: { names }, probes: { payload: '' } } };
      const input = { ...bare, health: { ...bare.health, probes: { payload: 'x'.repeat(32_768 - 20 - JSON.stringify(bare).length) } } };
      expect(JSON.stringify(input).length).toBeLessThanOrEqual(32_768);
      const res = await start(input);
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({ errors: [{ field: '(body)', rule: expect.stringMatching(/^must be at most 32768 bytes as JSON with its defaults filled in; this would be \d+$/) }] });
      await nothingChanged();
    });

    it('5,000 levels of nesting', async () => {
      const res = await api(event('POST', '/rollouts', { rawBody: `{"functionName":"orders","alias":"live","targetVersion":"8","x":${'['.repeat(5000)}${']'.repeat(5000)}}` }));
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({ errors: [{ field: '(body)', rule: 'must nest objects and arrays at most 32 deep' }] });
      await nothingChanged();
    });

    it('a version number beyond 2^53, which JSON would silently round', async () => {
      const res = await api(event('POST', '/rollouts', { rawBody: '{"functionName":"orders","alias":"live","targetVersion":12345678901234567890}' }));
      expect(res.statusCode).toBe(400);
      expect(body(res)).toEqual({ errors: [{ field: 'targetVersion', rule: expect.stringContaining('a whole number up to 9007199254740991') }] });
      await nothingChanged();
    });
  });

  it('refuses a body that is not JSON, or none', async () => {
    expect(body(await api(event('POST', '/rollouts', { rawBody: '{"functionName":' })))).toEqual({ errors: [{ field: '(body)', rule: 'must be valid JSON' }] });
    expect((await api(event('POST', '/rollouts'))).statusCode).toBe(400);
  });

  it('answers 409 naming the running rollout when the alias is taken, and starts nothing', async () => {
    await registry.acquire(lockRequest('r1'));
    const res = await start(valid);
    expect(res.statusCode).toBe(409);
    expect(body(res)).toEqual({
      error: `rollout r1 is already running on orders:live (execution ${executionArn('r1')}, since ${iso(T0)})`,
      runningRolloutId: 'r1',
      executionArn: executionArn('r1'),
      since: iso(T0),
    });
    expect(starts()).toEqual([]);
  });

  it('frees an alias held by a pending lock whose execution never started, once it is stale', async () => {
    await registry.acquire(lockRequest('ghost', { status: 'pending', baselineVersion: undefined, startedAt: iso(NOW - STALE_PENDING_MS) }));
    const res = await start(valid);
    expect(res.statusCode).toBe(202);
    expect(await registry.get('ghost')).toMatchObject({ status: 'failed', reason: 'the execution never started' });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'orders-live-v8-id0001' });
  });

  it('leaves a pending lock alone while it is fresh, or while its execution exists', async () => {
    await registry.acquire(lockRequest('young', { status: 'pending', startedAt: iso(NOW - STALE_PENDING_MS + 1000) }));
    expect((await start(valid)).statusCode).toBe(409);
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'young', executionArn: executionArn('young') });
    await registry.acquire(lockRequest('slow', { status: 'pending', startedAt: iso(NOW - 10 * STALE_PENDING_MS) }));
    workflow.put(executionArn('slow'), { status: 'RUNNING' });
    expect(body(await start(valid)).runningRolloutId).toBe('slow');
  });

  it('gives back a lock whose acquire failed after it may have been written', async () => {
    const flaky = makeApi({
      registry: Object.assign(Object.create(registry) as InMemoryRolloutRegistry, {
        acquire: async (request: Parameters<InMemoryRolloutRegistry['acquire']>[0]) => {
          await registry.acquire(request);
          throw new TransientError('TransactWriteItems: the answer was lost');
        },
      }),
      idempotency,
      workflow,
      controls,
      tokens,
      clock: { now: () => NOW }, scope: SCOPE,
      ids: { newId: () => 'id0001' },
    });
    const res = await flaky(event('POST', '/rollouts', { body: valid }));
    expect(res.statusCode).toBe(503);
    expect(await registry.getLock('orders', 'live')).toBeUndefined();
    expect(await registry.get('orders-live-v8-id0001')).toMatchObject({ status: 'failed', reason: 'not started: taking the lock failed' });
    expect(starts()).toEqual([]);
  });

  it('answers a retry with the same Idempotency-Key with the first answer, starting once', async () => {
    const headers = { 'Idempotency-Key': '6f1c1d2e-0000-4000-8000-000000000001' };
    const first = await start(valid, { headers });
    // Same request, keys in another order: the same request.
    const retry = await start({ strategy: valid.strategy, targetVersion: '8', alias: 'live', functionName: 'orders' }, { headers });
    expect(retry.statusCode).toBe(202);
    expect(retry.body).toBe(first.body);
    expect(retry.headers).toMatchObject({ 'Idempotent-Replayed': 'true' });
    expect(starts()).toHaveLength(1);
  });

  it('refuses an Idempotency-Key reused for another request, and keeps keys apart per caller', async () => {
    const headers = { 'idempotency-key': 'key-1' };
    await start(valid, { headers });
    const other = await start({ ...valid, targetVersion: '9' }, { headers });
    expect(other.statusCode).toBe(422);
    const bob = await start(valid, { headers, caller: 'arn:aws:iam::123456789012:user/bob' });
    expect(bob.statusCode).toBe(409);
    expect(body(bob).runningRolloutId).toBe('orders-live-v8-id0001');
  });

  it('refuses a malformed Idempotency-Key, naming the header', async () => {
    const res = await start(valid, { headers: { 'Idempotency-Key': 'has spaces in it' } });
    expect(res.statusCode).toBe(400);
    expect(body(res)).toEqual({ errors: [{ field: 'Idempotency-Key', rule: 'must be 1-255 visible ASCII characters, e.g. a UUID' }] });
  });

  it('forgets a refused start, so the same Idempotency-Key starts the rollout once the alias is free', async () => {
    const headers = { 'Idempotency-Key': 'k-busy' };
    await registry.acquire(lockRequest('r1'));
    expect((await start(valid, { headers })).statusCode).toBe(409);
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1') });
    const retry = await start(valid, { headers });
    expect(retry.statusCode).toBe(202);
    expect(retry.headers).not.toHaveProperty('Idempotent-Replayed');
  });

  it('answers 409 with Retry-After while the first request with the key is still in progress', async () => {
    const headers = { 'Idempotency-Key': 'k-slow' };
    let release: () => void = () => {};
    const started = workflow.start.bind(workflow);
    workflow.start = async (name, input) => {
      await new Promise<void>((resolve) => (release = resolve));
      return started(name, input);
    };
    const first = start(valid, { headers });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await start(valid, { headers });
    expect(second.statusCode).toBe(409);
    expect(second.headers).toMatchObject({ 'Retry-After': '1' });
    expect(body(second).error).toContain('still in progress');
    release();
    expect((await first).statusCode).toBe(202);
    expect(starts()).toHaveLength(1);
  });

  it('answers 202 for a start whose answer could not be stored for its Idempotency-Key', async () => {
    const forgetful = makeApi({
      registry,
      idempotency: Object.assign(Object.create(idempotency) as InMemoryIdempotencyStore, { complete: async () => Promise.reject(new TransientError('UpdateItem: ServiceUnavailable')) }),
      workflow,
      controls,
      tokens,
      clock: { now: () => NOW }, scope: SCOPE,
      ids: { newId: () => 'id0001' },
    });
    const res = await forgetful(event('POST', '/rollouts', { body: valid, headers: { 'Idempotency-Key': 'k-lost' } }));
    expect(res.statusCode).toBe(202);
    expect(starts()).toHaveLength(1);
  });

  it.each([
    [new ThrottledError('StartExecution: Rate exceeded'), 429],
    [new TransientError('StartExecution: ServiceUnavailable'), 503],
    [new RejectedError('StartExecution: StateMachineDoesNotExist'), 500],
  ])('when StartExecution fails (%s) it releases the pending lock, records the failure and answers %i without details', async (error, status) => {
    workflow.failStart = error;
    const headers = { 'Idempotency-Key': 'k-fail' };
    const res = await start(valid, { headers });
    expect(res.statusCode).toBe(status);
    expect(res.body).not.toContain('at ');
    expect(body(res)).toMatchObject({ requestId: 'req-1' });
    expect(await registry.getLock('orders', 'live')).toBeUndefined();
    expect(await registry.get('orders-live-v8-id0001')).toMatchObject({ status: 'failed', reason: expect.stringContaining('StartExecution failed') });
    // The key was not spent on the failure: the retry starts.
    const retry = await start(valid, { headers });
    expect(retry.statusCode).toBe(202);
    expect(body(retry).rolloutId).toBe('orders-live-v8-id0002');
  });
});

describe('GET /rollouts/{id}', () => {
  it("shows status, current step and weight, every step's verdict with its numbers, and the execution's live status", async () => {
    await start(valid);
    const id = 'orders-live-v8-id0001';
    const state: RolloutState = runningState({ id });
    await registry.recordProgress(progressUpdateFor('shifted', state, NOW));
    const res = await api(event('GET', '/rollouts/{id}', { path: `/rollouts/${id}` }));
    expect(res.statusCode).toBe(200);
    expect(body(res)).toMatchObject({
      rolloutId: id,
      functionName: 'orders',
      alias: 'live',
      targetVersion: '8',
      status: 'pending',
      currentStep: 3,
      totalSteps: 9,
      weightPercent: 30,
      startedBy: CALLER,
      startedAt: iso(NOW),
      steps: [
        { step: 1, weightPercent: 10, revisionId: 'r1', verdict: 'healthy', target: { invocations: 300, errors: 0, errorRate: 0 }, baseline: { invocations: 2700, errors: 3, errorRate: 0.001111 } },
        { step: 2, weightPercent: 20, verdict: 'healthy', target: { invocations: 600, errors: 1, errorRate: 0.001667 } },
        { step: 3, weightPercent: 30, checks: 0 },
      ],
      execution: { arn: executionArn(id), status: 'RUNNING', startedAt: iso(NOW), consoleUrl: expect.stringContaining('console.aws.amazon.com') },
    });
  });

  it('shows the latest check in full, every signal with its reason', async () => {
    await registry.acquire(lockRequest('r1'));
    const signals = [{ name: 'errors', verdict: 'healthy' as const, reason: 'error rate no worse' }, { name: 'alarm orders-5xx', verdict: 'healthy' as const, reason: 'alarm orders-5xx is OK' }];
    const check = { at: T0 + 60_000, step: 0, weightPercent: 10, verdict: 'healthy' as const, reason: 'error rate no worse', next: 'bake' as const, target: { invocations: 300, errors: 0 }, signals };
    await registry.recordCheck({ ...lockRequest('r1'), check, at: iso(T0 + 60_000) });
    const res = await api(event('GET', '/rollouts/{id}', { path: '/rollouts/r1' }));
    expect(body(res).lastCheck).toEqual({ step: 1, weightPercent: 10, at: iso(T0 + 60_000), verdict: 'healthy', reason: 'error rate no worse', next: 'bake', target: { invocations: 300, errors: 0, errorRate: 0 }, signals });
  });

  it('follows a long rollout into the execution that continues it', async () => {
    await start(valid);
    const id = 'orders-live-v8-id0001';
    await registry.acquire(lockRequest(id, { status: 'running' }));
    await handOverTo(registry, id, executionArn(id), executionArn(`${id}-c1`), iso(NOW));
    workflow.put(executionArn(id), { status: 'SUCCEEDED' });
    workflow.put(executionArn(`${id}-c1`), { status: 'RUNNING' });
    const res = await api(event('GET', '/rollouts/{id}', { path: `/rollouts/${id}` }));
    expect(body(res)).toMatchObject({ status: 'running', executionArn: executionArn(`${id}-c1`), execution: { arn: executionArn(`${id}-c1`), status: 'RUNNING' } });
    const aborted = await api(event('POST', '/rollouts/{id}/abort', { path: `/rollouts/${id}/abort`, body: { reason: 'enough' } }));
    expect(aborted.statusCode).toBe(202);
    expect(workflow.executions.get(executionArn(`${id}-c1`))?.status).toBe('ABORTED');
    expect(workflow.executions.get(executionArn(id))?.status).toBe('SUCCEEDED');
  });

  it('still shows the record when the execution cannot be read', async () => {
    await start(valid);
    workflow.failDescribe = new ThrottledError('Rate exceeded');
    const res = await api(event('GET', '/rollouts/{id}', { path: '/rollouts/orders-live-v8-id0001' }));
    expect(res.statusCode).toBe(200);
    expect(body(res).execution).toMatchObject({ unavailable: expect.stringContaining('could not be read') });
  });

  it('answers 404 for an unknown rollout', async () => {
    const res = await api(event('GET', '/rollouts/{id}', { path: '/rollouts/nope' }));
    expect(res.statusCode).toBe(404);
    expect(body(res)).toEqual({ error: 'no rollout nope' });
  });
});

describe('GET /rollouts', () => {
  beforeEach(async () => {
    for (let i = 0; i < 3; i += 1) {
      await registry.acquire(lockRequest(`r${i}`, { alias: `a${i}`, startedAt: iso(T0 + i * 1000), at: iso(T0 + i * 1000) }));
    }
    await registry.finish(ending('r0', { alias: 'a0' }));
  });

  it('lists newest first with filters, page by page with an opaque token', async () => {
    const first = await api(event('GET', '/rollouts', { query: { functionName: 'orders', status: 'running', limit: '1' } }));
    expect(first.statusCode).toBe(200);
    expect(body(first)).toMatchObject({ items: [{ rolloutId: 'r2', status: 'running', alias: 'a2', executionArn: executionArn('r2') }], nextToken: expect.any(String) });
    const second = await api(event('GET', '/rollouts', { query: { functionName: 'orders', status: 'running', limit: '1', nextToken: body(first).nextToken as string } }));
    expect(body(second)).toEqual({ items: [expect.objectContaining({ rolloutId: 'r1' })] });
    const all = await api(event('GET', '/rollouts'));
    expect((body(all).items as { rolloutId: string }[]).map((r) => r.rolloutId)).toEqual(['r2', 'r1', 'r0']);
  });

  it.each([
    [{ limit: '0' }, 'limit', 'must be a whole number from 1 to 100'],
    [{ limit: 'ten' }, 'limit', 'must be a whole number from 1 to 100'],
    [{ alias: 'live' }, 'alias', 'needs functionName: an alias is listed within its function'],
    [{ status: 'exploded' }, 'status', expect.stringContaining('must be one of pending, running')],
    [{ stauts: 'running' }, 'stauts', 'is not a known field'],
    [{ nextToken: 'garbage' }, 'nextToken', 'is not a token this API returned'],
  ])('refuses %j with 400 naming the parameter', async (query, field, rule) => {
    const res = await api(event('GET', '/rollouts', { query }));
    expect(res.statusCode).toBe(400);
    expect(body(res)).toEqual({ errors: [{ field, rule }] });
  });
});

describe('POST /rollouts/{id}/abort', () => {
  const abort = (id: string, payload: unknown) => api(event('POST', '/rollouts/{id}/abort', { path: `/rollouts/${id}/abort`, body: payload }));

  it('stops the execution with the reason and who asked, and answers 202', async () => {
    await start(valid);
    const id = 'orders-live-v8-id0001';
    const res = await abort(id, { reason: 'error budget burning' });
    expect(res.statusCode).toBe(202);
    expect(body(res)).toMatchObject({ rolloutId: id, executionArn: executionArn(id), status: 'aborting' });
    expect(workflow.calls.find((c) => c.op === 'stop')?.args).toEqual([executionArn(id), { error: 'RolloutAborted', cause: `error budget burning (aborted by ${CALLER})` }]);
    expect(workflow.executions.get(executionArn(id))?.status).toBe('ABORTED');
  });

  it('answers 409 for a rollout that already ended, or whose execution is no longer running', async () => {
    await registry.acquire(lockRequest('r1'));
    await registry.finish(ending('r1'));
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'r1', executionArn: executionArn('r1') });
    const ended = await abort('r1', { reason: 'x' });
    expect(ended.statusCode).toBe(409);
    expect(body(ended)).toEqual({ error: 'rollout r1 has already ended (promoted)', status: 'promoted' });

    await start(valid);
    const id = 'orders-live-v8-id0001';
    workflow.put(executionArn(id), { status: 'FAILED' });
    const done = await abort(id, { reason: 'x' });
    expect(done.statusCode).toBe(409);
    expect(workflow.calls.filter((c) => c.op === 'stop')).toEqual([]);
  });

  it('asks to retry in a moment while a long rollout moves to its next execution', async () => {
    await start(valid);
    const id = 'orders-live-v8-id0001';
    // The execution that handed over has ended; the record names it until the next one takes over.
    workflow.put(executionArn(id), { status: 'SUCCEEDED' });
    const moving = await abort(id, { reason: 'x' });
    expect(moving.statusCode).toBe(409);
    expect(moving.headers?.['Retry-After']).toBe('1');
    expect(body(moving)).toEqual({ error: `rollout ${id} is continuing in a new execution; retry in a moment`, status: 'SUCCEEDED' });
    expect(workflow.calls.filter((c) => c.op === 'stop')).toEqual([]);
  });

  it('follows a hand-over that lands between reading the record and the stop: the execution that continues is stopped too', async () => {
    await start(valid);
    const id = 'orders-live-v8-id0001';
    await registry.acquire(lockRequest(id, { status: 'running' }));
    const next = executionArn(`${id}-c1`);
    const stop = workflow.stop.bind(workflow);
    workflow.stop = async (arn, reason) => {
      if (arn === executionArn(id)) {
        // The continuation takes over just before the stop reaches the execution handing over.
        workflow.put(next, { status: 'RUNNING' });
        await handOverTo(registry, id, executionArn(id), next, iso(NOW));
      }
      return stop(arn, reason);
    };
    const res = await abort(id, { reason: 'error budget burning' });
    expect(res.statusCode).toBe(202);
    expect(body(res)).toMatchObject({ rolloutId: id, executionArn: next, status: 'aborting' });
    expect(workflow.calls.filter((c) => c.op === 'stop').map((c) => c.args[0])).toEqual([executionArn(id), next]);
    expect(workflow.executions.get(next)?.status).toBe('ABORTED');
  });

  it('asks to retry when the rollout keeps moving to new executions while it stops them', async () => {
    await start(valid);
    const id = 'orders-live-v8-id0001';
    await registry.acquire(lockRequest(id, { status: 'running' }));
    let current = executionArn(id);
    const stop = workflow.stop.bind(workflow);
    workflow.stop = async (arn, reason) => {
      const next = `${arn}-c`;
      workflow.put(next, { status: 'RUNNING' });
      await handOverTo(registry, id, current, next, iso(NOW));
      current = next;
      return stop(arn, reason);
    };
    const res = await abort(id, { reason: 'x' });
    expect(res.statusCode).toBe(409);
    expect(res.headers?.['Retry-After']).toBe('1');
    expect(workflow.calls.filter((c) => c.op === 'stop')).toHaveLength(4);
  });

  it('answers 404 for an unknown rollout and 400 without a reason', async () => {
    expect((await abort('nope', { reason: 'x' })).statusCode).toBe(404);
    await start(valid);
    const res = await abort('orders-live-v8-id0001', {});
    expect(res.statusCode).toBe(400);
    expect(body(res)).toEqual({ errors: [{ field: 'reason', rule: expect.stringContaining('is required') }] });
  });
});

describe('POST /rollouts/{id}/approve, reject, pause, resume, promote', () => {
  const verb = (id: string, action: string, payload?: unknown, call: Call = {}) =>
    api(event('POST', `/rollouts/{id}/${action}`, { path: `/rollouts/${id}/${action}`, ...(payload === undefined ? {} : { body: payload }), ...call }));
  const gate = { id: 'step-2', openedAt: iso(T0), timesOutAt: iso(T0 + 3_600_000), onTimeout: 'rollback' as const, weightPercent: 10 };
  /** rollout r1 running, waiting at gate step-2 with its wait's token stored. */
  async function waiting() {
    await registry.acquire(lockRequest('r1'));
    const { token, answer } = tokens.issue();
    await controls.put({ ...emptyControl('r1', executionArn('r1'), T0), version: 1, gate, waitToken: token });
    // Wrapped: an async function returning the promise itself would wait for the answer.
    return { woken: answer };
  }

  it('approve records who and why, wakes the wait at once, and answers 202 with the control', async () => {
    const { woken } = await waiting();
    const res = await verb('r1', 'approve', { reason: 'dashboards look fine' });
    expect(res.statusCode).toBe(202);
    expect(body(res)).toEqual({
      rolloutId: 'r1',
      action: 'approve',
      gate: 'step-2',
      woke: true,
      message: 'recorded; the rollout was woken and acts on it now',
      control: { waitingAt: gate, decisions: { 'step-2': { decision: 'approved', by: CALLER, reason: 'dashboards look fine', at: iso(NOW) } } },
    });
    expect(await woken).toEqual({ woken: 'approve' });
  });

  it('reject needs a reason (400); approve takes no body at all', async () => {
    await waiting();
    const res = await verb('r1', 'reject', {});
    expect(res.statusCode).toBe(400);
    expect(body(res)).toEqual({ errors: [{ field: 'reason', rule: expect.stringContaining('is required') }] });
    expect((await verb('r1', 'approve')).statusCode).toBe(202);
  });

  it('a wait that already ended is not woken: the rollout acts at its next check', async () => {
    await waiting();
    tokens.close('sim-task-token-1');
    expect(body(await verb('r1', 'reject', { reason: 'no' }))).toMatchObject({ woke: false, message: 'recorded; the rollout acts on it at its next check' });
  });

  it('answers 409 with the rollout\'s status when the request does not apply, and 404 for an unknown rollout', async () => {
    await registry.acquire(lockRequest('r1'));
    const res = await verb('r1', 'approve', {});
    expect(res.statusCode).toBe(409);
    expect(body(res)).toEqual({ error: 'rollout r1 is not waiting at a gate (the target has 0%)', status: 'running' });
    expect(body(await verb('r1', 'resume', {}))).toEqual({ error: 'rollout r1 is not paused', status: 'running' });
    expect((await verb('nope', 'pause', {})).statusCode).toBe(404);
    await registry.finish(ending('r1'));
    expect(body(await verb('r1', 'promote', {}))).toEqual({ error: 'rollout r1 has ended (promoted)', status: 'promoted' });
  });

  it('pause and promote are recorded; a pause wakes nothing', async () => {
    const { woken } = await waiting();
    expect(body(await verb('r1', 'pause', { reason: 'incident' }))).toMatchObject({ action: 'pause', woke: false, control: { paused: { by: CALLER, reason: 'incident', at: iso(NOW) } } });
    expect(body(await verb('r1', 'promote', { full: false }))).toMatchObject({ action: 'promote', full: false, woke: true, control: { promote: { by: CALLER, full: false } } });
    expect(await woken).toEqual({ woken: 'promote' });
  });

  it('GET /rollouts/{id} shows what the rollout waits for and what people asked', async () => {
    await waiting();
    await verb('r1', 'pause', {});
    const res = await api(event('GET', '/rollouts/{id}', { path: '/rollouts/r1' }));
    expect(body(res).control).toEqual({ waitingAt: gate, paused: { by: CALLER, at: iso(NOW) } });
  });
});

describe('POST /rollouts/{id}/retry', () => {
  const retry = (id: string, payload?: unknown, call: Call = {}) =>
    api(event('POST', '/rollouts/{id}/retry', { path: `/rollouts/${id}/retry`, ...(payload === undefined ? {} : { body: payload }), ...call }));

  /** Rollout `id` of orders:live to v8, started through the API, that ended as `status`. */
  async function ended(status: 'rolled_back' | 'promoted' | 'failed') {
    await start({ ...valid, rolloutId: 'first' });
    await registry.finish(ending('first', { executionArn: executionArn(starts()[0]!.args[0] as string), status }));
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'first', executionArn: executionArn(starts()[0]!.args[0] as string) });
  }

  it('starts the same input again under a new id, taking the lock again, and says what it retries', async () => {
    await ended('rolled_back');
    const res = await retry('first', { reason: 'fixed the config' });
    expect(res.statusCode).toBe(202);
    const answer = body(res);
    expect(answer).toMatchObject({ rolloutId: 'orders-live-v8-id0002', retryOf: 'first' });
    expect(res.headers?.Location).toBe('/v1/rollouts/orders-live-v8-id0002');
    const [first, second] = starts().map((c) => c.args[1] as Record<string, unknown>);
    expect(second).toEqual({ ...first, rolloutId: 'orders-live-v8-id0002' });
    expect(await registry.getLock('orders', 'live')).toMatchObject({ rolloutId: 'orders-live-v8-id0002', status: 'pending', startedBy: CALLER });
  });

  it('retries a long rollout with the input its first execution was started with, not a continuation state', async () => {
    await start({ ...valid, rolloutId: 'first' });
    const [firstArn, c1, c2] = [executionArn(starts()[0]!.args[0] as string), executionArn('first-c1'), executionArn('first-c2')];
    await handOverTo(registry, 'first', firstArn, c1, iso(NOW));
    await handOverTo(registry, 'first', c1, c2, iso(NOW));
    const continued = runningState({ id: 'first' });
    workflow.put(c1, { status: 'SUCCEEDED', input: continuationInput(continued, firstArn) });
    workflow.put(c2, { status: 'FAILED', input: continuationInput(continued, c1) });
    await registry.finish(ending('first', { executionArn: c2, status: 'failed' }));
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'first', executionArn: c2 });
    const res = await retry('first');
    expect(res.statusCode).toBe(202);
    const [first, second] = starts().map((c) => c.args[1] as Record<string, unknown>);
    expect(second).toEqual({ ...first, rolloutId: body(res).rolloutId });
  });

  it('refuses a rollout that promoted or is still running (409 with its status), and answers 404 for an unknown one', async () => {
    await ended('promoted');
    expect(body(await retry('first'))).toEqual({ error: 'rollout first cannot be retried: it ended promoted; only a rolled_back, failed, aborted or timed_out rollout can', status: 'promoted' });
    await start(valid);
    expect(body(await retry('orders-live-v8-id0002'))).toMatchObject({ status: 'pending' });
    expect((await retry('nope')).statusCode).toBe(404);
  });

  it('refuses while another rollout holds the alias, naming it', async () => {
    await ended('failed');
    await start(valid);
    const res = await retry('first');
    expect(res.statusCode).toBe(409);
    expect(body(res)).toMatchObject({ runningRolloutId: 'orders-live-v8-id0002' });
  });

  it('a release is retried as a rollout of the version it published, never deploying the code again', async () => {
    await registry.acquire(lockRequest('rel', { targetVersion: '9' }));
    await registry.finish(ending('rel', { status: 'rolled_back', targetVersion: '9' }));
    await registry.release({ functionName: 'orders', alias: 'live', rolloutId: 'rel', executionArn: executionArn('rel') });
    workflow.put(executionArn('rel'), {
      status: 'FAILED',
      input: { functionName: 'orders', alias: 'live', strategy: 'Canary10Percent5Minutes', release: { s3Bucket: 'b', s3Key: 'k', s3ObjectVersion: 'v' }, rolloutId: 'rel' },
    });
    expect((await retry('rel')).statusCode).toBe(202);
    expect(starts()[0]?.args[1]).toMatchObject({ functionName: 'orders', targetVersion: '9', strategy: 'Canary10Percent5Minutes' });
    expect(starts()[0]?.args[1]).not.toHaveProperty('release');
  });
});

describe('routing and errors', () => {
  it('routes a greedy proxy resource and a custom domain base path too', async () => {
    await start(valid);
    const viaProxy = await api({ ...event('GET', '/{proxy+}', { path: '/rollouts/orders-live-v8-id0001' }), pathParameters: { proxy: 'rollouts/orders-live-v8-id0001' } });
    expect(viaProxy.statusCode).toBe(200);
    const viaBasePath = await api(event('GET', '/{proxy+}', { path: '/v1/rollouts' }));
    expect(viaBasePath.statusCode).toBe(200);
  });

  it('decodes a %-encoded id read from the path, and takes the one API Gateway decoded as it is', async () => {
    await registry.acquire(lockRequest('r-1'));
    const viaProxy = await api({ ...event('GET', '/{proxy+}', { path: '/v1/rollouts/r%2D1' }), pathParameters: { proxy: 'rollouts/r-1' } });
    expect(body(viaProxy)).toMatchObject({ rolloutId: 'r-1' });
    const viaResource = await api({ ...event('GET', '/rollouts/{id}', { path: '/rollouts/r%2D1' }), pathParameters: { id: 'r-1' } });
    expect(body(viaResource)).toMatchObject({ rolloutId: 'r-1' });
  });

  it('refuses a malformed %-encoded id, and an id no rollout can have, with 400 naming id', async () => {
    const malformed = await api({ ...event('GET', '/{proxy+}', { path: '/v1/rollouts/%E0%A4%A' }), pathParameters: { proxy: 'rollouts/%E0%A4%A' } });
    expect(malformed.statusCode).toBe(400);
    expect(body(malformed)).toEqual({ errors: [{ field: 'id', rule: 'must be %-encoded correctly: each % followed by two hex digits of a UTF-8 character' }] });
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'a%20b', 'x'.repeat(81)]) {
      const res = await api({ ...event('POST', '/{proxy+}', { path: `/v1/rollouts/${id}/abort`, body: { reason: 'x' } }), pathParameters: { proxy: `rollouts/${id}/abort` } });
      expect(res.statusCode, id).toBe(400);
      expect(body(res).errors, id).toEqual([{ field: 'id', rule: expect.stringMatching(/^must be a rollout id: 1-80 characters/) }]);
    }
    expect(workflow.calls).toEqual([]);
  });

  it('reads a base64-encoded body and answers a start under a base path with the stage in Location', async () => {
    const res = await api({ ...event('POST', '/{proxy+}', { path: '/v1/rollouts' }), body: Buffer.from(JSON.stringify(valid)).toString('base64'), isBase64Encoded: true });
    expect(res.statusCode).toBe(202);
    expect(res.headers).toMatchObject({ Location: '/v1/rollouts/orders-live-v8-id0001', 'Cache-Control': 'no-store' });
  });

  it('answers 404 for an unknown route and 405 with Allow for a known path', async () => {
    expect((await api(event('GET', '/nothing'))).statusCode).toBe(404);
    const res = await api(event('DELETE', '/rollouts'));
    expect(res.statusCode).toBe(405);
    expect(res.headers).toMatchObject({ Allow: 'POST, GET' });
    expect(body(res)).toEqual({ error: 'DELETE is not allowed here; use POST, GET' });
    expect(body(await api(event('GET', '/nothing')))).toEqual({ error: 'no route for GET /nothing' });
    const viaProxy = await api(event('PUT', '/{proxy+}', { path: '/v1/rollouts/r1/abort' }));
    expect(viaProxy.statusCode).toBe(405);
    expect(viaProxy.headers).toMatchObject({ Allow: 'POST' });
  });

  it('answers an unexpected failure with 500 and the request id, never the stack', async () => {
    const broken = makeApi({
      registry: { ...registry, get: async () => Promise.reject(new Error('kaboom at /var/task/index.js:1:2')) } as unknown as InMemoryRolloutRegistry,
      idempotency,
      workflow,
      controls,
      tokens,
      clock: { now: () => NOW }, scope: SCOPE,
      ids: { newId: () => 'x' },
    });
    const res = await broken(event('GET', '/rollouts/{id}', { path: '/rollouts/r1' }));
    expect(res.statusCode).toBe(500);
    expect(body(res)).toEqual({ error: 'internal error', requestId: 'req-1' });
  });

  it('maps throttling to 429 with Retry-After', async () => {
    const throttled = makeApi({
      registry: { ...registry, list: async () => Promise.reject(new ThrottledError('Rate exceeded')) } as unknown as InMemoryRolloutRegistry,
      idempotency,
      workflow,
      controls,
      tokens,
      clock: { now: () => NOW }, scope: SCOPE,
      ids: { newId: () => 'x' },
    });
    const res = await throttled(event('GET', '/rollouts'));
    expect(res.statusCode).toBe(429);
    expect(res.headers).toMatchObject({ 'Retry-After': '1' });
    expect(body(res).error).not.toContain(ErrorName.Throttled);
  });
});
