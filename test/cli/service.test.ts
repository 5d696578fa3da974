/**
 * `rollout` against a deployed service, end to end: the command runs as its own process, finds
 * the service through CloudFormation, signs every request with SigV4, and talks over HTTP to a
 * local service process (the real API handler over the in-memory world, the real workflow in
 * paced virtual time, the real guard and artifact trigger) that verifies each signature.
 * Here: start, status, list, report, the Idempotency-Key, and the exit codes 0, 1, 2 and 4;
 * control.test.ts has the refusals (3), abort and uploads. Commands that only read run together.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAws, type Run } from './support/local-aws.js';

const crashing = { errorRate: 1, p50Ms: 40, p99Ms: 200 };
const FAST_POLL = ['--poll-seconds', '0.05'];
const start = ['start', '--function', 'orders', '--alias', 'live', '--version', '2'];

let aws: LocalAws;
beforeAll(async () => {
  aws = await LocalAws.start();
});
afterAll(async () => aws?.stop());

const json = (run: Run) => JSON.parse(run.stdout) as Record<string, unknown> & { rollout: Record<string, unknown> };
const noStackTrace = (run: Run) => expect(run.stderr).not.toMatch(/\n\s+at /);

describe('rollout start --wait', () => {
  it('follows a healthy release to its promotion, line by line, and exits 0', async () => {
    await aws.world();
    const run = await aws.rollout([...start, '--wait', ...FAST_POLL]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const id = /^started rollout (\S+): orders:live to v2, Canary10Percent5Minutes$/.exec(lines[0] ?? '')?.[1];
    expect(id).toMatch(/^orders-live-v2-[0-9a-f]{12}$/);
    expect(lines[1]).toMatch(/^ {2}idempotency key [0-9a-f-]{36} \(pass it as --idempotency-key to retry this start safely\)$/);
    expect(lines).toContainEqual(expect.stringMatching(/^\[\s+0s\] step 1\/1: 10% of traffic to the new version \(v2\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\s*\d+m \d\ds\] step 1\/1 at 10%: healthy: .+ -> promote$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\s*\d+m \d\ds\] promoted: v2 serves 100% of live/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}status {3}PROMOTED after \d+m \d\ds, step 1\/1 at 100%: /));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}console {2}https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\/home\?region=us-east-1#\/v2\/executions\/details\/arn:aws:states:us-east-1:123456789012:execution:lambda-rollout:orders-live-v2-/),
    );
    expect(run.stdout).not.toContain('\x1b[');
    const state = await aws.state();
    expect(state.alias).toMatchObject({ functionVersion: '2', routing: {} });
    expect(state.lock).toBeNull();
  });
});

describe('a crashing release: start --wait --json, then status, list, report and a repeated start', () => {
  let started: Run;
  let id: string;
  let runs: Record<'status' | 'watch' | 'unknown' | 'table' | 'page' | 'badQuery' | 'again' | 'report', Run>;
  const file = join(mkdtempSync(join(tmpdir(), 'rollout-report-')), 'release.html');
  beforeAll(async () => {
    await aws.world({ target: crashing });
    started = await aws.rollout([...start, '--idempotency-key', 'build-417', '--wait', '--json', ...FAST_POLL]);
    id = String(json(started).rolloutId);
    const [status, watch, unknown, table, page, badQuery, again, report] = await Promise.all([
      aws.rollout(['status', id]),
      aws.rollout(['status', id, '--watch', '--json', ...FAST_POLL]),
      aws.rollout(['status', 'orders-live-v2-000000000000']),
      aws.rollout(['list', '--function', 'orders']),
      aws.rollout(['list', '--json', '--limit', '5']),
      aws.rollout(['list', '--limit', '500']),
      aws.rollout([...start, '--idempotency-key', 'build-417', '--json']),
      aws.rollout(['report', id, '--out', file]),
    ]);
    runs = { status, watch, unknown, table, page, badQuery, again, report };
  });

  it('start --wait exits 1 with the reason; --json prints one object with the outcome and the facts, the progress on stderr', async () => {
    expect(started.code).toBe(1);
    const result = json(started);
    expect(result).toMatchObject({ outcome: 'rolled_back', replayed: false, idempotencyKey: 'build-417', rolloutId: expect.stringMatching(/^orders-live-v2-/) });
    expect(result.rollout).toMatchObject({ status: 'rolled_back', finalVersion: '1', reason: expect.stringContaining('most requests fail') });
    expect((result.rollout.steps as { verdict: string }[])[0]).toMatchObject({ weightPercent: 10, verdict: 'unhealthy' });
    expect(started.stderr).toContain(`rolled back: ${String(result.rollout.reason)}`);
    expect((await aws.state()).alias).toMatchObject({ functionVersion: '1', routing: {} });
  });

  it('status shows the step, the weight, the last check with its numbers and reason, the next action and the console link', () => {
    expect(runs.status.code).toBe(0);
    const lines = runs.status.stdout.split('\n');
    expect(lines[0]).toBe(`${id}  orders:live  v1 -> v2  Canary10Percent5Minutes`);
    expect(lines[1]).toMatch(/^ {2}status {3}ROLLED BACK after \d+m \d\ds, step 1\/1 at 0%: most requests fail/);
    expect(lines[2]).toMatch(/^ {2}check {4}unhealthy \(step 1 at 10:0\d:00 UTC\): most requests fail/);
    expect(lines[3]).toMatch(/^ {11}invocations failed: new ([\d,]+) of \1 \(100%\); old [\d,]+ of [\d,]+ \(/);
    expect(lines[4]).toBe('  next     nothing: the rollout has ended');
    expect(lines[5]).toMatch(/^ {2}console {2}https:/);
  });

  it('status --watch of an ended rollout exits with its outcome; --json prints the rollout; an unknown id exits 2', () => {
    expect(runs.watch.code).toBe(1);
    expect(json(runs.watch)).toMatchObject({ rolloutId: id, status: 'rolled_back', execution: { status: 'FAILED', error: 'RolloutRolledBack' } });
    expect(runs.unknown.code).toBe(2);
    expect(runs.unknown.stderr).toBe('error: no rollout orders-live-v2-000000000000 (GET /rollouts/{id}, 404)\n');
  });

  it('list shows it; a query the API refuses exits 2 naming the parameter', () => {
    expect(runs.table.code).toBe(0);
    expect(runs.table.stdout).toMatch(new RegExp(`^${id}\\s+orders:live\\s+v1 -> v2\\s+rolled_back\\s+1/1\\s+0%\\s+2026-01-05T10:00:00Z$`, 'm'));
    expect((json(runs.page).items as { rolloutId: string }[]).map((r) => r.rolloutId)).toEqual([id]);
    expect(runs.badQuery.code).toBe(2);
    expect(runs.badQuery.stderr).toContain('error: the rollout API refused the request (GET /rollouts, 400):\n  limit: must be a whole number from 1 to 100');
  });

  it('start again with the same Idempotency-Key and input answers with the same rollout and starts nothing', async () => {
    expect(runs.again.code).toBe(0);
    expect(json(runs.again)).toMatchObject({ outcome: 'started', rolloutId: id, replayed: true, idempotencyKey: 'build-417' });
    expect((await aws.state()).executions).toHaveLength(1);
  });

  it('report writes the rollout as the HTML report: the steps, the check, each version per minute, the rollback', () => {
    expect(runs.report.code).toBe(0);
    expect(runs.report.stdout).toBe(`report written to ${file}\n`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain(`<h1>Rollout: ${id}</h1>`);
    expect(html).toContain('data-outcome="rolled_back"');
    expect(html).toMatch(/<g class="check check-unhealthy" data-verdict="unhealthy"/);
    expect(html).toMatch(/data-series="target-requests" data-points="[1-9]/);
    expect(html).toMatch(/data-series="target-error-rate" data-points="[1-9]/);
    expect(html).toContain('<dt>Detection time</dt>');
    expect(html).toMatch(/New version v2: [\d,]+ requests, [\d,]+ failed \(100\.00%\)/);
  });
});

describe('exit codes before any rollout: bad input (2), AWS out of reach or refusing the credentials (4), no such stack (2)', () => {
  let runs: Record<'input' | 'closed' | 'badKey' | 'noStack', Run>;
  beforeAll(async () => {
    const [input, closed, badKey, noStack] = await Promise.all([
      aws.rollout(['start', '--function', 'orders', '--alias', 'live', '--version', '$LATEST', '--strategy', 'Canary99Percent'], { AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://127.0.0.1:1' }),
      aws.rollout(['list'], { AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://127.0.0.1:1' }),
      aws.rollout(['list'], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }),
      aws.rollout(['list', '--stack', 'Elsewhere']),
    ]);
    runs = { input, closed, badKey, noStack };
  });

  it('bad input exits 2 naming the field, the flag and the rule, before anything in AWS is asked', () => {
    expect(runs.input.code).toBe(2);
    expect(runs.input.stderr).toContain('error: the rollout input is invalid:');
    expect(runs.input.stderr).toContain('  targetVersion (--version): must be a published version; $LATEST cannot be routed by weight');
    expect(runs.input.stderr).toContain('  strategy (--strategy): "Canary99Percent" is not a preset');
  });

  it('AWS out of reach exits 4; credentials AWS refuses exit 4, naming the permission; a missing stack exits 2', () => {
    expect(runs.closed.code).toBe(4);
    expect(runs.closed.stderr).toContain('error: could not call DescribeStacks LambdaRollout in us-east-1');
    expect(runs.badKey.code).toBe(4);
    expect(runs.badKey.stderr).toContain('error: AWS denied DescribeStacks LambdaRollout (SignatureDoesNotMatch)');
    expect(runs.badKey.stderr).toContain('the caller needs cloudformation:DescribeStacks on the stack LambdaRollout');
    expect(runs.noStack.code).toBe(2);
    expect(runs.noStack.stderr).toContain('error: no stack Elsewhere in us-east-1');
    for (const run of Object.values(runs)) noStackTrace(run);
  });
});
