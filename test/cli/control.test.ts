/**
 * `rollout` against a deployed service, end to end (see service.test.ts for how): the refusals
 * (exit 3), abort while a rollout runs, the other control verbs (pause, resume, promote, approve,
 * reject, retry), and following the rollout an artifact upload started.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRollout } from '../../cli/service/artifact.js';
import { LocalAws, type Run } from './support/local-aws.js';

/** Slow enough that a second command finds the rollout still running: ninety minutes of bakes, about 20 s of wall time. */
const SLOW = { pace: { virtualMs: 5_000, realMs: 20 } };
const FAST_POLL = ['--poll-seconds', '0.05'];
const start = ['start', '--function', 'orders', '--alias', 'live', '--version', '2'];

let aws: LocalAws;
beforeAll(async () => {
  aws = await LocalAws.start();
});
afterAll(async () => aws?.stop());

const json = (run: Run) => JSON.parse(run.stdout) as Record<string, unknown>;

describe('refused: exit 3', () => {
  it('another rollout holds the alias: the start is refused naming it, and --json says so too', async () => {
    await aws.world({ heldBy: {} });
    const run = await aws.rollout([...start, '--json']);
    expect(run.code).toBe(3);
    expect(json(run)).toMatchObject({ outcome: 'refused', runningRolloutId: 'orders-live-v2-held0000000', reason: expect.stringContaining('is already running on orders:live') });
    expect(run.stderr).toContain('error: refused: rollout orders-live-v2-held0000000 is already running on orders:live');
    expect((await aws.state()).executions).toEqual([]);
  });

  it('the workflow refuses a version that does not exist: start --wait follows it to the refusal', async () => {
    await aws.world();
    const run = await aws.rollout(['start', '--function', 'orders', '--alias', 'live', '--version', '9', '--wait', ...FAST_POLL]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^\[\s*\d+s\] refused: .*version 9 of function orders is not published/m);
    expect((await aws.state()).alias).toMatchObject({ functionVersion: '1', routing: {} });
  });
});

describe('rollout abort', () => {
  it('stops a running rollout: a second start meanwhile is refused (3) and a report too early (2), the abort waits for the guard (1), a second abort is refused (3)', async () => {
    await aws.world(SLOW);
    const first = await aws.rollout([...start, '--strategy', 'Linear10PercentEvery10Minutes', '--json']);
    expect(first.code).toBe(0);
    const id = String(json(first).rolloutId);
    const [second, early] = await Promise.all([aws.rollout(start), aws.rollout(['report', id])]);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`refused: rollout ${id} is already running on orders:live`);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(`error: rollout ${id} has not ended (running); report it once it has`);

    const abort = await aws.rollout(['abort', id, '--reason', 'p99 doubled on the dashboard', '--wait', ...FAST_POLL]);
    expect(abort.code).toBe(1);
    expect(abort.stdout).toMatch(/^abort: the execution was stopped/);
    expect(abort.stdout).toMatch(/aborted: execution aborted: p99 doubled on the dashboard \(aborted by arn:aws:iam::123456789012:user\/ci-release\); alias live restored to v1/);
    const state = await aws.state();
    expect(state.alias).toMatchObject({ functionVersion: '1', routing: {} });
    expect(state.lock).toBeNull();
    expect(state.executions).toEqual([{ name: id, status: 'ABORTED', error: 'RolloutAborted' }]);

    const [again, unknown, blank] = await Promise.all([
      aws.rollout(['abort', id, '--reason', 'again']),
      aws.rollout(['abort', 'orders-live-v2-000000000000', '--reason', 'nothing']),
      aws.rollout(['abort', id, '--reason', ' ']),
    ]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`refused: rollout ${id} has already ended (aborted)`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no rollout orders-live-v2-000000000000');
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('--reason: is required');
  });
});

describe('rollout status --artifact', () => {
  const key = 'releases/orders/live/build-417.zip';
  const uri = `s3://lambda-rollout-artifacts/${key}`;

  it('finds the rollout an upload started by its bucket, key and version id and follows it to the promotion; an upload that started nothing is refused (3)', async () => {
    await aws.world();
    await aws.upload(key, 'v-417');
    const [run, never] = await Promise.all([
      aws.rollout(['status', '--artifact', uri, '--version-id', 'v-417', '--watch', ...FAST_POLL]),
      aws.rollout(['status', '--artifact', uri, '--version-id', 'never-uploaded']),
    ]);
    expect(run.code).toBe(0);
    const name = artifactRollout(uri, 'v-417').executionName;
    expect(run.stdout).toMatch(/promoted: v3 serves 100% of live/);
    expect(run.stdout).toContain(`${name}  orders:live  v1 -> v3`);
    expect((await aws.state()).executions).toEqual([{ name, status: 'SUCCEEDED', error: null }]);
    expect(never.code).toBe(3);
    expect(never.stderr).toContain(`no rollout started for ${uri} (version never-uploaded) (yet): expected execution ${artifactRollout(uri, 'never-uploaded').executionName}`);
  });
});

describe('rollout pause, resume, promote, approve, reject and retry', () => {
  const CALLER = 'arn:aws:iam::123456789012:user/ci-release';

  it('pause holds a running rollout and resume lets it go on; what does not apply is refused (3) with the rollout\'s status; promote --no-full is recorded, and an abort undoes even the promotion it made', async () => {
    await aws.world(SLOW);
    const first = await aws.rollout([...start, '--strategy', 'Linear10PercentEvery10Minutes', '--json']);
    const id = String(json(first).rolloutId);
    const pause = await aws.rollout(['pause', id, '--reason', 'marketing launch', '--json']);
    expect(pause.code).toBe(0);
    expect(json(pause)).toMatchObject({ rolloutId: id, action: 'pause', control: { paused: { by: CALLER, reason: 'marketing launch' } } });
    const [again, approve, blank] = await Promise.all([aws.rollout(['pause', id]), aws.rollout(['approve', id]), aws.rollout(['reject', id, '--reason', ' '])]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`refused: rollout ${id} is already paused (by ${CALLER}`);
    expect(approve.code).toBe(3);
    expect(approve.stderr).toContain(`refused: rollout ${id} is not waiting at a gate`);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('--reason: is required');
    const resume = await aws.rollout(['resume', id]);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toMatch(/^resume: recorded; the rollout/);

    const promote = await aws.rollout(['promote', id, '--no-full', '--reason', 'hotfix', '--json']);
    expect(promote.code).toBe(0);
    expect(json(promote)).toMatchObject({ rolloutId: id, action: 'promote', full: false, control: { promote: { by: CALLER, reason: 'hotfix', full: false } } });
    const [twice, running] = await Promise.all([aws.rollout(['promote', id]), aws.rollout(['retry', id])]);
    expect(twice.code).toBe(3);
    // Refused either way: the request is recorded, or the promotion it asked for has happened already.
    expect(twice.stderr).toMatch(new RegExp(`refused: rollout ${id} is already (being promoted \\(asked by ${CALLER}|at 100%)`));
    expect(running.code).toBe(3);
    expect(running.stderr).toContain(`refused: rollout ${id} cannot be retried: it is running`);

    // The remaining checks run at 100% for the plan's remaining bakes: an abort meanwhile puts the baseline back.
    const abort = await aws.rollout(['abort', id, '--reason', 'changed our mind', '--wait', ...FAST_POLL]);
    expect(abort.code).toBe(1);
    const state = await aws.state();
    expect(state.alias).toMatchObject({ functionVersion: '1', routing: {} });
    expect(state.lock).toBeNull();
  });

  it('approve lets a rollout waiting at its gate promote (0); reject of an ended rollout is refused (3)', async () => {
    await aws.world(SLOW);
    const dir = mkdtempSync(join(tmpdir(), 'rollout-gate-'));
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify({ functionName: 'orders', alias: 'live', targetVersion: '2', strategy: 'Canary10Percent5Minutes', gates: [{ before: 'promotion' }] }));
    const first = await aws.rollout(['start', '--input', file, '--json']);
    expect(first.code).toBe(0);
    const id = String(json(first).rolloutId);
    let approved: Run | undefined;
    // The gate opens once the canary's bake is over: a few seconds of wall time at this pace.
    for (let attempt = 0; attempt < 20 && approved === undefined; attempt += 1) {
      const run = await aws.rollout(['approve', id, '--gate', 'promotion', '--reason', 'dashboards look good', '--wait', ...FAST_POLL]);
      if (run.code === 3 && run.stderr.includes('is not waiting at a gate')) continue;
      approved = run;
    }
    expect(approved?.code).toBe(0);
    expect(approved?.stdout).toMatch(/^approve: recorded; the rollout was woken and acts on it now/);
    expect(approved?.stdout).toMatch(/promoted: v2 serves 100% of live/);
    const reject = await aws.rollout(['reject', id, '--reason', 'too late']);
    expect(reject.code).toBe(3);
    expect(reject.stderr).toContain(`refused: rollout ${id} has ended (promoted)`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('retry starts an aborted rollout again with the same input and a new id (0)', async () => {
    await aws.world(SLOW);
    const first = await aws.rollout([...start, '--strategy', 'Linear10PercentEvery10Minutes', '--json']);
    const id = String(json(first).rolloutId);
    const abort = await aws.rollout(['abort', id, '--reason', 'wrong build', '--wait', ...FAST_POLL]);
    expect(abort.code).toBe(1);
    const retry = await aws.rollout(['retry', id, '--reason', 'right build this time', '--json']);
    expect(retry.code).toBe(0);
    const again = json(retry);
    expect(again).toMatchObject({ retryOf: id, rolloutId: expect.stringMatching(/^orders-live-v2-/) });
    expect(again.rolloutId).not.toBe(id);
    // Stops the retry too, so the world settles: it ran, on the same alias, with the lock taken again.
    const stop = await aws.rollout(['abort', String(again.rolloutId), '--reason', 'done', '--wait', ...FAST_POLL]);
    expect(stop.code).toBe(1);
    expect((await aws.state()).executions.map((e) => e.status)).toEqual(['ABORTED', 'ABORTED']);
  });
});
