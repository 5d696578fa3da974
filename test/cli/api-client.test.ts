/**
 * The API client against a small HTTP server in the test: what it sends (SigV4 for execute-api,
 * the Idempotency-Key), how it retries (throttled or unavailable; a network failure only for
 * requests that are safe to send twice), and what each answer means for the exit code.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit.js';
import { answerFailure, RolloutApiClient } from '../../cli/service/api-client.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;
afterEach(() => server?.close());

/** A server answering each request with the next of `answers` (status, body, headers). */
async function serve(answers: [number, unknown, Record<string, string>?][]): Promise<{ client: RolloutApiClient; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const [status, answer, headers] = answers.shift() ?? [500, { error: 'no more answers' }];
    res.writeHead(status, { 'Content-Type': 'application/json', Date: 'Mon, 05 Jan 2026 10:02:30 GMT', ...headers });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new RolloutApiClient({
    baseUrl: `http://127.0.0.1:${port}/v1/`,
    region: 'eu-west-1',
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' }),
    sleep: async () => {},
  });
  return { client, seen };
}

describe('RolloutApiClient', () => {
  it('signs each request for execute-api in the API\'s region, with the body hashed, and sends the Idempotency-Key', async () => {
    const { client, seen } = await serve([[202, { rolloutId: 'r1', executionArn: 'arn:x' }]]);
    const started = await client.start({ functionName: 'orders' }, 'key-1');
    expect(started).toEqual({ rolloutId: 'r1', executionArn: 'arn:x', replayed: false });
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/rollouts', body: '{"functionName":"orders"}' });
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;idempotency-key;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    expect(request?.headers['x-amz-security-token']).toBe('session');
    expect(request?.headers['idempotency-key']).toBe('key-1');
    // The service's clock, for "time at this step".
    expect(client.serverTime).toBe(Date.parse('2026-01-05T10:02:30Z'));
  });

  it('says when a start was answered from an earlier one with the same key', async () => {
    const { client } = await serve([[202, { rolloutId: 'r1', executionArn: 'arn:x' }, { 'Idempotent-Replayed': 'true' }]]);
    expect((await client.start({}, 'key-1')).replayed).toBe(true);
  });

  it('retries a throttled or unavailable answer, and a key still in progress, then takes the answer', async () => {
    const { client, seen } = await serve([
      [429, { error: 'AWS is throttling' }, { 'Retry-After': '1' }],
      [503, { error: 'a dependency failed' }],
      [409, { error: 'a request with this Idempotency-Key is still in progress' }, { 'Retry-After': '1' }],
      [202, { rolloutId: 'r1', executionArn: 'arn:x' }],
    ]);
    expect((await client.start({}, 'key-1')).rolloutId).toBe('r1');
    expect(seen).toHaveLength(4);
  });

  it('gives up after its attempts: the service could not be used (exit 4)', async () => {
    const { client, seen } = await serve([[503, {}], [503, {}], [503, {}], [503, { error: 'still failing' }]]);
    await expect(client.list({})).rejects.toMatchObject({ exitCode: EXIT.unreachable, lines: ['the rollout API failed (GET /rollouts, 503): still failing'] });
    expect(seen).toHaveLength(4);
  });

  it('sends the query of a list and the body of a control verb to its route; finds nothing as undefined', async () => {
    const { client, seen } = await serve([[200, { items: [] }], [202, { status: 'aborting' }], [404, { error: 'no rollout r9' }]]);
    await client.list({ functionName: 'orders', status: 'running', limit: '5' });
    await client.control('r 1', 'abort', { reason: 'p99 doubled' });
    expect(await client.find('r9')).toBeUndefined();
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'GET /v1/rollouts?functionName=orders&status=running&limit=5 ',
      'POST /v1/rollouts/r%201/abort {"reason":"p99 doubled"}',
      'GET /v1/rollouts/r9 ',
    ]);
  });

  it('does not send a control verb twice when the network fails: it may have been acted on', async () => {
    // A port nothing listens on any more.
    const { seen } = await serve([]);
    const { port } = server?.address() as AddressInfo;
    await new Promise((resolve) => server?.close(resolve));
    let sleeps = 0;
    const client = new RolloutApiClient({ baseUrl: `http://127.0.0.1:${port}/v1/`, region: 'eu-west-1', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }), sleep: async () => void sleeps++ });
    await expect(client.control('r1', 'abort', { reason: 'x' })).rejects.toMatchObject({ exitCode: EXIT.unreachable, lines: [`could not reach the rollout API at http://127.0.0.1:${port} (POST /rollouts/{id}/abort): ECONNREFUSED`] });
    expect([sleeps, seen.length]).toEqual([0, 0]);
    // A read is safe to send again: it is tried four times before giving up.
    await expect(client.get('r1')).rejects.toMatchObject({ exitCode: EXIT.unreachable });
    expect(sleeps).toBe(3);
  });
});

describe('answerFailure', () => {
  it.each([
    [400, { errors: [{ field: 'limit', rule: 'must be a whole number from 1 to 100' }] }, EXIT.usage, ['the rollout API refused the request (GET /rollouts, 400):', '  limit: must be a whole number from 1 to 100']],
    [404, { error: 'no rollout r9' }, EXIT.usage, ['no rollout r9 (GET /rollouts, 404)']],
    [422, { error: 'this Idempotency-Key was already used with a different request' }, EXIT.usage, ['this Idempotency-Key was already used with a different request (GET /rollouts, 422)']],
    [409, { error: 'rollout r1 is already running on orders:live' }, EXIT.refused, ['refused: rollout r1 is already running on orders:live']],
    [403, { message: 'User: arn:aws:iam::1:user/x is not authorized to perform: execute-api:Invoke' }, EXIT.unreachable, [
      'the rollout API denied access (GET /rollouts, 403): User: arn:aws:iam::1:user/x is not authorized to perform: execute-api:Invoke',
      '  the caller needs execute-api:Invoke on this route (README: "Permissions the CLI needs")',
    ]],
    [500, { error: 'internal error', requestId: 'req-1' }, EXIT.unreachable, ['the rollout API failed (GET /rollouts, 500): internal error']],
  ])('%i: exit %#', (status, body, code, lines) => {
    const failure = answerFailure('GET /rollouts', status, body);
    expect(failure.exitCode).toBe(code);
    expect(failure.lines).toEqual(lines);
  });

  it('keeps what the service said, for --json', () => {
    expect(answerFailure('POST /rollouts', 409, { error: 'held', runningRolloutId: 'r1' }).details).toEqual({ error: 'held', runningRolloutId: 'r1' });
  });
});
