/**
 * The fault-injection suite: the real workflow in the in-memory world, with one fault at a time
 * on every port call it makes (sim/faults.ts): throttled, a 5xx, a timeout, a lost answer, a 409,
 * a 412 from a real concurrent writer, at the first, the second and the last call of that port
 * call, for a healthy and a crashing target. After every run (and the guard, for a failed
 * execution), every invariant holds; a healthy release meeting a transient fault is promoted, and
 * a crashing one never is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  countingPorts,
  type Ending,
  FAULT_KINDS,
  faultInput,
  faultWorld,
  type FaultKind,
  faultyPorts,
  type PortCall,
  PORT_CALLS,
  RELEASE_CALLS,
  runWithFaults,
  type TargetKind,
} from '../../sim/faults.js';

/** How often each port call happens in a run without faults, by target and path. */
async function callCounts(target: TargetKind, release: boolean): Promise<Map<PortCall, number>> {
  const world = faultWorld(target);
  const counts = new Map<PortCall, number>();
  await world.rehearse(faultInput(world, release), { ports: countingPorts(world, counts), executionName: 'faults' });
  return counts;
}

/**
 * Calls a run without faults never makes, and the fault that brings them about: the search for
 * the version a release published follows a PublishVersion whose answer was lost.
 */
const BROUGHT_ABOUT_BY: Partial<Record<PortCall, { call: PortCall; nth: number; kind: FaultKind }>> = {
  'code.findVersion': { call: 'code.publishVersion', nth: 1, kind: 'lost-answer' },
};

type Case = [call: PortCall, kind: FaultKind, nth: number, target: TargetKind];
const cases: Case[] = [];
for (const target of ['healthy', 'crashing'] as const) {
  const plain = await callCounts(target, false);
  const released = await callCounts(target, true);
  for (const call of PORT_CALLS) {
    const last = (RELEASE_CALLS.includes(call) ? released : plain).get(call) ?? (BROUGHT_ABOUT_BY[call] ? 1 : 0);
    const at = [...new Set([1, 2, last])].filter((nth) => nth >= 1 && nth <= last);
    for (const kind of FAULT_KINDS) for (const nth of at) cases.push([call, kind, nth, target]);
  }
}

const tally = new Map<Ending, number>();
let violations = 0;
afterAll(() => {
  const counts = [...tally].map(([ending, n]) => `${ending} ${n}`).join(', ');
  console.log(`fault suite: ${cases.length} runs, ${violations} invariant violations; ${counts}`);
});

describe('one fault on one port call', () => {
  it('reaches every port call the workflow makes', () => {
    expect(new Set(cases.map(([call]) => call))).toEqual(new Set(PORT_CALLS));
  });

  it.each(cases)('%s: %s at call %i, %s target', async (call, kind, nth, target) => {
    const before = BROUGHT_ABOUT_BY[call];
    const schedule = (c: PortCall, n: number) => (c === call && n === nth ? kind : c === before?.call && n === before.nth ? before.kind : undefined);
    const report = await runWithFaults({ schedule, target, release: RELEASE_CALLS.includes(call) });
    tally.set(report.ending, (tally.get(report.ending) ?? 0) + 1);
    violations += report.violations.length;
    expect(report.injected).toEqual([...(before ? [before] : []), { call, nth, kind }]);
    expect(report.violations).toEqual([]);
    if (target === 'crashing') expect(report.ending).not.toBe('promoted');
    if (target === 'healthy' && kind !== 'concurrent-writer') expect(report.ending, JSON.stringify(report.execution)).toBe('promoted');
  });
});

describe('minutes of trouble are waited out, not taken for a bad release', () => {
  const attemptsOf = (call: PortCall, kind: FaultKind, times: number) => (c: PortCall, n: number) => (c === call && n <= times ? kind : undefined);

  it('CloudWatch throttling every read for minutes, past every retry: the step holds, checks again, and the healthy release is promoted', async () => {
    const report = await runWithFaults({ schedule: attemptsOf('metrics.getMetricData', 'throttle', 14), target: 'healthy' });
    expect(report.violations).toEqual([]);
    expect(report.ending, JSON.stringify(report.execution)).toBe('promoted');
  });

  it('a crashing release under the same trouble never gets traffic: its probes fail before the first shift', async () => {
    const report = await runWithFaults({ schedule: attemptsOf('metrics.getMetricData', 'throttle', 1000), target: 'crashing' });
    expect(report.violations).toEqual([]);
    expect(report.ending).toBe('refused');
    expect(report.execution.cause).toMatch(/failed its probes before any traffic moved/);
  });

  it('a task that times out three times running is tried again, not given up on', async () => {
    const report = await runWithFaults({ schedule: attemptsOf('lambda.updateAlias', 'timeout', 3), target: 'healthy' });
    expect(report.injected).toHaveLength(3);
    expect(report.ending, JSON.stringify(report.execution)).toBe('promoted');
  });

  it('a probe whose Invoke fails is left out, never sent twice by a retried check', async () => {
    const world = faultWorld('healthy');
    const injected: { call: PortCall; nth: number; kind: FaultKind }[] = [];
    // Invokes 1-2 verify the target before traffic moves; the 3rd is the first step's first probe.
    const ports = faultyPorts(world, (c, n) => (c === 'invoker.invoke' && n === 3 ? 'server-error' : undefined), injected);
    const run = await world.rehearse(faultInput(world, false), { ports, executionName: 'faults' });
    expect(run.status).toBe('SUCCEEDED');
    expect(injected).toEqual([{ call: 'invoker.invoke', nth: 3, kind: 'server-error' }]);
    // Two verifying probes, then two probes a step for two steps: six Invokes, the failed one
    // left out of what was sent and answered, and no more.
    expect(world.invoker.sent).toHaveLength(5);
    expect(run.output?.steps.map((s) => s.probes)).toMatchObject([{ sent: 1, passed: 1 }, { sent: 2, passed: 2 }]);
  });
});
