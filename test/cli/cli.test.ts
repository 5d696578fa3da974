/**
 * The `rollout` command run as a person runs it: a child process, its stdout, stderr and exit
 * code. Each run is a real rehearsal of about a second, so the runs are few and shared.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatCount, formatDuration } from '../../cli/format.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'node_modules', '.bin');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tsx cli/main.ts ...args` in the repo, on the project's Node, not on a terminal. */
function rollout(...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` };
  delete env.FORCE_COLOR;
  return new Promise((resolve) => {
    execFile(join(BIN, 'tsx'), ['cli/main.ts', ...args], { cwd: REPO, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('rollout simulate --json', () => {
  let crash: Run;
  beforeAll(async () => {
    crash = await rollout('simulate', '--scenario', 'crash', '--json');
  });

  it('reports a crashing version rolled back, with its numbers, and exits 1', () => {
    expect(crash.code).toBe(1);
    const result = JSON.parse(crash.stdout);
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(/\S/);
    // Canary10Percent5Minutes: one step at 10%, rolled back within its five-minute bake.
    expect(result.durationSeconds).toBeGreaterThan(0);
    expect(result.durationSeconds).toBeLessThanOrEqual(300);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ weightPercent: 10, verdict: 'unhealthy' });
    expect(result.steps[0].target.invocations).toBeGreaterThan(0);
    expect(result.steps[0].target.errors).toBe(result.steps[0].target.invocations);
    expect(result.target.requests).toBeGreaterThan(0);
    expect(result.target.errors).toBe(result.target.requests);
    expect(result.detectionSeconds).toBeGreaterThan(0);
    expect(result.detectionSeconds).toBeLessThanOrEqual(result.durationSeconds);
    expect(result.finalAlias).toEqual({ version: '1', routing: {} });
  });

  it('prints exactly one JSON object on stdout and nothing on stderr', () => {
    expect(crash.stdout.trimStart().startsWith('{')).toBe(true);
    expect(crash.stdout.trimEnd().endsWith('}')).toBe(true);
    expect(() => JSON.parse(crash.stdout)).not.toThrow();
    expect(crash.stderr).toBe('');
  });

  it('gives byte-identical output for the same seed, and different output for another', async () => {
    const again = await rollout('simulate', '--scenario', 'crash', '--json');
    const otherSeed = await rollout('simulate', '--scenario', 'crash', '--json', '--seed', '2');
    expect(again.stdout).toBe(crash.stdout);
    expect(otherSeed.code).toBe(1);
    expect(JSON.parse(otherSeed.stdout).seed).toBe(2);
    expect(otherSeed.stdout).not.toBe(crash.stdout);
  });

  it('without --json, and not on a terminal, prints a plain line per event, then a summary that agrees with the JSON', async () => {
    const result = JSON.parse(crash.stdout);
    const run = await rollout('simulate', '--scenario', 'crash');
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    const at = (seconds: number) => `[${formatDuration(seconds).padStart(7)}]`;
    const end = at(result.durationSeconds);
    expect(lines).toContainEqual(expect.stringMatching(/^\[\s+0s\] step 1\/1: 10% of traffic to the new version/));
    expect(lines).toContainEqual(`${end} step 1/1 at 10%: unhealthy: ${result.steps[0].reason} -> roll back`);
    expect(lines).toContainEqual(`${end} rolled back: ${result.reason}`);
    expect(lines).toContain(`ROLLED BACK: ${result.reason}`);
    expect(lines).toContain(`virtual duration: ${formatDuration(result.durationSeconds)}`);
    expect(lines).toContainEqual(expect.stringMatching(/^\s+step\s+weight\s+verdict\s+checks\s+new: errors of invocations\s+old: errors of invocations$/));
    expect(lines).toContain(`new version (v2) served ${formatCount(result.target.requests)} requests, ${formatCount(result.target.errors)} failed (100%)`);
    expect(lines).toContain(`first bad request to rollback: ${Math.round(result.detectionSeconds)}s`);
    expect(run.stdout).not.toContain('\x1b[');
    expect(run.stdout).not.toContain('\r');
  });

  it('reports a healthy version promoted and exits 0', async () => {
    const healthy = await rollout('simulate', '--scenario', 'healthy', '--json');
    expect(healthy.code).toBe(0);
    const result = JSON.parse(healthy.stdout);
    expect(result.outcome).toBe('promoted');
    expect(result.detectionSeconds).toBeNull();
    expect(result.finalAlias).toEqual({ version: '2', routing: {} });
    expect(result.steps[0].verdict).toBe('healthy');
  });

  it('summarises several runs with --runs', async () => {
    const many = await rollout('simulate', '--scenario', 'crash', '--runs', '5', '--json');
    expect(many.code).toBe(1);
    const summary = JSON.parse(many.stdout);
    // Shares are fractions of the runs (1 = all of them), beside the counts.
    expect(summary).toMatchObject({ scenario: 'crash', runs: 5, firstSeed: 1, outcomeCounts: { promoted: 0, rolled_back: 5, failed: 0 }, outcomeShares: { promoted: 0, rolled_back: 1, failed: 0 } });
    expect(summary.detectionSeconds.n).toBe(5);
    expect(summary.detectionSeconds.median).toBeGreaterThan(0);
    expect(summary.targetErrors.n).toBe(5);
  });
});

describe('rollout simulate with hooks, gates and a person', () => {
  it('pre-traffic-failure: the smoke-test hook refuses a crashing version before it serves a single request', async () => {
    const run = await rollout('simulate', '--scenario', 'pre-traffic-failure', '--json');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ outcome: 'failed', error: 'RolloutRefused', steps: [], target: { requests: 0 }, finalAlias: { version: '1', routing: {} } });
    expect(result.reason).toMatch(/^the preTraffic hook rehearsal-preTraffic-hook failed: 2 of 2 smoke test cases failed on version 2/);
    expect(result.lifecycle[0]).toEqual({ atSeconds: 0, what: 'preTraffic hook answered Failed' });
    expect(result.notifications.map((n: { type: string }) => n.type)).toEqual(['started', 'refused']);
  });

  it('approval-gate: waits at 10% until a person approves, then promotes at once, as a file scenario can script too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollout-cli-'));
    const file = join(dir, 'gate.yaml');
    writeFileSync(
      file,
      [
        'name: my-gate',
        'traffic: { rps: 50 }',
        'baseline: { errorRate: 0.001, p50Ms: 40, p99Ms: 200 }',
        'target: { errorRate: 0.001, p50Ms: 40, p99Ms: 200 }',
        'gates: [{ before: promotion }]',
        'operator: [{ atSeconds: 420, action: pause }, { atSeconds: 500, action: resume }, { atSeconds: 530, action: approve, body: { reason: ok } }]',
        '',
      ].join('\n'),
    );
    const [builtin, scripted] = await Promise.all([rollout('simulate', '--scenario', 'approval-gate'), rollout('simulate', '--scenario', file, '--json')]);
    expect(builtin.code).toBe(0);
    expect(builtin.stdout).toMatch(/PROMOTED: v2 serves 100% of live/);
    expect(builtin.stdout).toMatch(/\[10m 30s\] approve asked: 202/);
    expect(builtin.stdout).toContain('wait for a person');
    const result = JSON.parse(scripted.stdout);
    expect(scripted.code).toBe(0);
    expect(result.endedAtSeconds).toBe(530);
    expect(result.lifecycle.filter((e: { what: string }) => e.what.endsWith('asked: 202')).map((e: { atSeconds: number }) => e.atSeconds)).toEqual([420, 500, 530]);
    expect(result.notifications.map((n: { type: string }) => n.type)).toContain('gate');
  });
});

describe('rollout simulate refuses bad input with exit 2, naming the option or field', () => {
  it('a rate of 5 and a negative rps, each with the rule and the value', async () => {
    const run = await rollout('simulate', '--canary-error-rate', '5', '--rps', '-10');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--canary-error-rate: must be a fraction from 0 to 1 (0.01 = 1%), got 5');
    expect(run.stderr).toContain('--rps: must be requests per second, from 0 to 100000, got -10');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it('an unknown scenario, listing the built-in ones', async () => {
    const run = await rollout('simulate', '--scenario', 'no-such-scenario');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--scenario: "no-such-scenario" is neither a built-in scenario \(healthy, crash, .*\) nor a readable file/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a malformed scenario file, naming each bad field and its rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollout-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', traffic: { rps: 50 }, baseline: { errorRate: 0.001, p50Ms: 40, p99Ms: 200 }, target: { errorRate: 3, p50Ms: 40, p99Ms: 200 } }));
    const run = await rollout('simulate', '--scenario', file);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file} is invalid`);
    expect(run.stderr).toMatch(/target\.errorRate: the error rate must be a fraction from 0 to 1/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a scenario file missing a field: one line naming it and its rule, nothing without a field name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollout-cli-'));
    const file = join(dir, 'no-traffic.yaml');
    writeFileSync(file, 'name: quiet\nbaseline: { errorRate: 0.001, p50Ms: 40, p99Ms: 200 }\ntarget: { errorRate: 0.001, p50Ms: 40, p99Ms: 200 }\n');
    const run = await rollout('simulate', '--scenario', file);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: --scenario: ${file} is invalid:\n  traffic: is required: { rps: <requests per second> } or { shape: [{ atSeconds, rps }, ...] }\n`);
  });

  it('a file that is no scenario (a password file) is said to be none, without a word of its contents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollout-cli-'));
    const file = join(dir, 'passwd');
    writeFileSync(file, 'root:x:0:0:secret-hunter2:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
    const run = await rollout('simulate', '--scenario', file);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`error: --scenario: ${file} is not a scenario file: it is not valid JSON`);
    const yaml = join(dir, 'notes.yaml');
    writeFileSync(yaml, 'password: secret-hunter2\nuser: root\n');
    const other = await rollout('simulate', '--scenario', yaml);
    expect(other.stderr.trim()).toBe(`error: --scenario: ${yaml} is not a scenario file: name: is required; must be a name`);
    expect(`${run.stderr}${other.stderr}`).not.toMatch(/hunter2|root:x/);
  });

  it('a bad strategy, naming the field and the rule', async () => {
    const run = await rollout('simulate', '--strategy', '{"type":"linear","percent":20,"intervalSeconds":5}');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--strategy refused (got {"type":"linear","percent":20,"intervalSeconds":5})');
    expect(run.stderr).toContain('strategy.intervalSeconds: must be a whole number of seconds, at least 60');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('rollout --help', () => {
  it('lists the rehearsal and the commands for a deployed service, and the exit codes', async () => {
    const run = await rollout('--help');
    expect(run.code).toBe(0);
    for (const verb of ['simulate', 'demo', 'plan', 'start', 'status', 'list', 'abort', 'approve', 'reject', 'pause', 'resume', 'promote', 'retry', 'report']) expect(run.stdout).toMatch(new RegExp(`^  ${verb} `, 'm'));
    expect(run.stdout).toContain('Exit codes: 0 promoted (or done), 1 rolled back or failed, 2 bad usage or input, 3 refused (another rollout holds the alias), 4 could not reach AWS.');
    expect(run.stderr).toBe('');
  });
});

describe('rollout plan', () => {
  it('--json prints the plan as data: each step, when promotion comes, how long holds could stretch it', async () => {
    const run = await rollout('plan', '--strategy', 'Linear10PercentEvery1Minute', '--json');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout);
    expect(plan).toMatchObject({ strategy: 'Linear10PercentEvery1Minute', promoteAtSeconds: 1620, promotes: true, totalBakeSeconds: 540, advance: 'evidence', metricDelaySeconds: 120, maxHoldSecondsPerStep: 600, maxTotalSeconds: 1620 + 9 * 600 });
    expect(plan.steps[1]).toEqual({ step: 2, weightPercent: 20, bakeSeconds: 60, startsAtSeconds: 180 });
  });

  it('lists the 9 steps of Linear10PercentEvery1Minute and the total', async () => {
    const run = await rollout('plan', '--strategy', 'Linear10PercentEvery1Minute');
    expect(run.code).toBe(0);
    const steps = run.stdout.split('\n').filter((l) => /^\s+\d+\s+\d+%\s+1m 00s/.test(l));
    expect(steps.map((l) => l.trim().split(/\s+/)[1])).toEqual(['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%']);
    expect(run.stdout).toContain('total: 27m 00s when every check is healthy (9m 00s of bakes');
  });

  it('prints the expected timeline as JSON, and takes a health policy', async () => {
    const run = await rollout('plan', '--strategy', 'Linear10PercentEvery1Minute', '--health', '{"advance":"schedule"}', '--json');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as { steps: { startsAtSeconds: number }[]; advance: string };
    expect(plan).toMatchObject({ advance: 'schedule', promoteAtSeconds: 660, promotes: true });
    expect(plan.steps.map((s) => s.startsAtSeconds)).toEqual([0, 180, 240, 300, 360, 420, 480, 540, 600]);
  });
});
