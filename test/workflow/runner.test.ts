/**
 * The local runner's controls for a service that others watch: a paced run moves virtual time a
 * step at a time with wall-clock pauses between (the same run, only slower), a stop ends it where
 * it is, as StopExecution does, and the world reads as of the run's end afterwards.
 */
import { describe, expect, it } from 'vitest';
import { SimWorld } from '../../sim/world.js';

const steady = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const world = () => new SimWorld({ rate: 50, baseline: steady, target: steady, metricDelaySeconds: 0, seed: 5 });
const shifts = (w: SimWorld) => w.lambda.aliasChanges.filter((c) => c.by === 'rollout');
const input = (w: SimWorld) => ({ functionName: w.functionName, alias: w.alias, targetVersion: w.targetVersion, strategy: 'Linear10PercentEvery1Minute', health: { metricDelaySeconds: 0 } });

describe('runWorkflow', () => {
  it('a paced run is the same run: the same alias writes at the same virtual times, spread over wall-clock time', async () => {
    const fast = world();
    const fastRun = await fast.rehearse(input(fast));
    const paced = world();
    const wallStart = performance.now();
    const pacedRun = await paced.rehearse(input(paced), { pace: { virtualMs: 60_000, realMs: 5 } });
    expect(pacedRun.status).toBe('SUCCEEDED');
    expect(pacedRun.endedAt).toBe(fastRun.endedAt);
    expect(paced.lambda.aliasChanges).toEqual(fast.lambda.aliasChanges);
    // Nine minutes of bakes in one-minute moves, each followed by a pause.
    expect(performance.now() - wallStart).toBeGreaterThanOrEqual(9 * 5);
  });

  it('a stop ends the run ABORTED where it is: no further state runs, the alias stays as the last shift left it', async () => {
    const w = world();
    const stop = new AbortController();
    const run = await w.rehearse(input(w), {
      pace: { virtualMs: 10_000, realMs: 1 },
      onEvent: (event) => {
        const name = (event as { state?: { name?: string } }).state?.name;
        if (event.type === 'StateExited' && name === 'ShiftWeight' && shifts(w).length === 3) stop.abort();
      },
      signal: stop.signal,
    });
    expect(run.status).toBe('ABORTED');
    expect(run.events.at(-1)?.type).toBe('ExecutionAborted');
    expect(shifts(w).map((c) => c.routing)).toEqual([{ '2': 10 }, { '2': 20 }, { '2': 30 }]);
    expect(w.aliasState.routing).toEqual({ '2': 30 });
    // After the run the world's clock stays at its end, so its metrics read as of then.
    expect(w.now()).toBe(run.endedAt);
  });
});
