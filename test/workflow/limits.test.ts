/**
 * The worst accepted input runs within Step Functions' 256 KiB per state: the real workflow, in
 * the rehearsal world, with every state's input and output measured as Step Functions would
 * carry it (JSON, UTF-8 bytes).
 */
import { describe, expect, it } from 'vitest';
import { MAX_REASON_CHARS } from '../../functions/core/state.js';
import { parseRolloutInput } from '../../functions/core/input.js';
import { startInput } from '../../functions/core/api.js';
import { releaseRolloutInput } from '../../functions/core/artifact.js';
import type { EventLog } from '../../sim/runner.js';
import type { TaskHandler } from '../../sim/tasks.js';
import type { MetricAlarmInput } from '../../sim/cloudwatch/index.js';
import { SimWorld } from '../../sim/world.js';

/** Step Functions' limit on a state's input or output. */
const MAX_STATE_BYTES = 256 * 1024;
/**
 * What the test holds every state to: 60% of the limit, so a state that grows is caught long
 * before it fails. The largest is what NotifyEnding's task receives at the end of 100 steps: the
 * state (the policy, about 33 KiB, and 100 step records) and the execution's input, about 130 KB.
 */
const MARGIN_BYTES = Math.floor(MAX_STATE_BYTES * 0.6);

/**
 * The input limits (the hostile-input work sets them): the input at most 32 KiB as JSON, a probe
 * payload at most 16 KiB, at most 100 alarms of 255 characters, 20 custom metrics and 100 steps.
 */
const LIMITS = { inputBytes: 32 * 1024, probePayloadBytes: 16 * 1024, alarms: 100, alarmNameChars: 255, metrics: 20, steps: 100 };

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/** 100 steps up to 99%: 0.5%, then 1% to 99%, a minute each. */
const HUNDRED_STEPS = { type: 'steps', steps: [0.5, ...Array.from({ length: 99 }, (_, i) => i + 1)].map((weightPercent) => ({ weightPercent, bakeSeconds: 60 })) };

/** An alarm name of exactly 255 characters. */
const alarmName = (i: number) => `a-${String(i).padStart(3, '0')}-${'x'.repeat(LIMITS.alarmNameChars - 6)}`;

/** 20 custom metric checks that find no data (inconclusive). */
const METRICS = Array.from({ length: LIMITS.metrics }, (_, i) => ({ name: `m${i}`, namespace: 'Shop', metricName: 'Orders', stat: 'p99', compare: 'threshold', threshold: 1 }));

/** The rollout input with every list at its limit; a probe payload fills what the 32 KiB leave. */
function worstInput(payloadBytes: number, alarms = LIMITS.alarms) {
  return {
    functionName: 'orders',
    alias: 'live',
    targetVersion: '2',
    strategy: HUNDRED_STEPS,
    health: {
      // Enough traffic at 0.5% for the errors to be judged: the deciding reason is then an alarm's, with its long name.
      minRequests: 1,
      metricDelaySeconds: 0,
      alarms: { names: Array.from({ length: alarms }, (_, i) => alarmName(i)), insufficientData: 'hold' },
      metrics: METRICS,
      probes: { count: 20, payload: { blob: 'p'.repeat(payloadBytes) }, expect: { field: 'statusCode', equals: 200 } },
      insufficientData: { maxHoldSeconds: 0, then: 'proceed' },
    },
  };
}

/** 100 alarms of 255 characters, and a probe payload as large as the rest of 32 KiB allows. */
function mostAlarms() {
  return worstInput(LIMITS.inputBytes - bytes(worstInput(0)));
}


/** The largest probe payload, and as many alarms of 255 characters as the rest of 32 KiB allows. */
function largestPayload() {
  let alarms = LIMITS.alarms;
  while (bytes(worstInput(LIMITS.probePayloadBytes - bytes({ blob: '' }), alarms)) > LIMITS.inputBytes) alarms -= 1;
  return worstInput(LIMITS.probePayloadBytes - bytes({ blob: '' }), alarms);
}

function alarmsIn(world: SimWorld, names: readonly string[], state: 'ALARM' | 'INSUFFICIENT_DATA') {
  for (const alarmName of names) {
    const alarm: MetricAlarmInput = {
      alarmName,
      namespace: 'Shop',
      metricName: 'NothingHere',
      dimensions: {},
      stat: 'Sum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: state === 'ALARM' ? 'breaching' : 'missing',
    };
    world.cloudwatch.putMetricAlarm(alarm);
  }
}

/** Runs the input and measures every state's input and output, as StateEntered and StateExited carry them. */
async function measured(input: ReturnType<typeof worstInput>, alarmState: 'ALARM' | 'INSUFFICIENT_DATA') {
  const world = new SimWorld({ rate: 50, baseline: { errorRate: 0, p50Ms: 40, p99Ms: 200 }, target: { errorRate: 0, p50Ms: 40, p99Ms: 200 }, metricDelaySeconds: 0 });
  alarmsIn(world, input.health.alarms.names, alarmState);
  const largest = new Map<string, number>();
  const weights = new Set<number>();
  const onEvent = (event: EventLog) => {
    const s = (event as { state?: { name: string; input?: unknown; output?: unknown } }).state;
    if (!s) return;
    const size = event.type === 'StateEntered' ? bytes(s.input) : event.type === 'StateExited' ? bytes(s.output) : 0;
    largest.set(s.name, Math.max(largest.get(s.name) ?? 0, size));
    if (event.type === 'StateExited' && s.name === 'ShiftWeight') weights.add((s.output as { cursor: { weightPercent: number } }).cursor.weightPercent);
  };
  // What each task function receives and returns: a state as its Parameters render it (NotifyEnding's carries the execution's input too).
  const wrapTask = (name: string, handler: TaskHandler): TaskHandler => async (payload) => {
    const answer = await handler(payload);
    const task = `${name} (task)`;
    largest.set(task, Math.max(largest.get(task) ?? 0, bytes(payload), bytes(answer)));
    return answer;
  };
  const result = await world.rehearse(input, { onEvent, wrapTask, keepEvents: false });
  return { world, result, largest, weights };
}

describe('the worst accepted input', () => {
  it("starts an execution whose input is well under 256 KiB, from the API or an artifact's trigger", () => {
    for (const input of [mostAlarms(), largestPayload()]) {
      const api = startInput(parseRolloutInput(input), `orders-live-v2-${'f'.repeat(12)}`);
      expect(bytes(api)).toBeLessThan(MARGIN_BYTES);
    }
    // An artifact's strategy comes from S3 user metadata (2 KB at most), its key is at most 1,024 bytes.
    const artifact = releaseRolloutInput({
      functionRef: 'orders',
      key: { functionName: 'orders', alias: 'live', build: 'b'.repeat(900) },
      bucket: 'b'.repeat(63),
      objectKey: `releases/orders/live/${'b'.repeat(990)}.zip`,
      versionId: 'v'.repeat(1024),
      settings: { strategy: HUNDRED_STEPS, description: 'd'.repeat(256) },
    });
    expect(bytes(artifact)).toBeLessThan(16 * 1024);
  });

  it('is within the input limits', () => {
    for (const input of [mostAlarms(), largestPayload()]) {
      expect(bytes(input)).toBeLessThanOrEqual(LIMITS.inputBytes);
      expect(bytes(input)).toBeGreaterThan(LIMITS.inputBytes - 300);
      expect(() => parseRolloutInput(input)).not.toThrow();
    }
    expect(mostAlarms().health.alarms.names).toHaveLength(LIMITS.alarms);
    expect(bytes(largestPayload().health.probes.payload)).toBe(LIMITS.probePayloadBytes);
    expect(alarmName(0)).toHaveLength(LIMITS.alarmNameChars);
  });

  it.each([
    { inputs: '100 alarms of 255 characters with insufficient data', make: mostAlarms },
    { inputs: 'the largest probe payload', make: largestPayload },
  ])('$inputs: through 100 steps to 99%, every state stays under 60% of 256 KiB', async ({ make }) => {
    const input = make();
    const { result, largest, weights } = await measured(input, 'INSUFFICIENT_DATA');
    expect(result.status).toBe('SUCCEEDED');
    expect([...weights].sort((a, b) => a - b)).toEqual(HUNDRED_STEPS.steps.map((s) => s.weightPercent));
    const steps = result.output!.steps;
    expect(steps).toHaveLength(100);
    // Every step's reason names an alarm of 255 characters: cut short in the state.
    for (const step of steps) expect(step.reason!.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(steps[0]!.reason).toMatch(/^alarm a-000-x{249} has insufficient data \(observed split.*…$/);
    const over = [...largest].filter(([, size]) => size > MARGIN_BYTES);
    expect(over, `states over ${MARGIN_BYTES} bytes`).toEqual([]);
    expect(Math.max(...largest.values())).toBeGreaterThan(bytes(input));
  });

  it('100 alarms of 255 characters all in ALARM: rolled back, every state small', async () => {
    const { result, largest, world } = await measured(mostAlarms(), 'ALARM');
    expect(result.error?.Error).toBe('RolloutRolledBack');
    expect(result.error!.Cause.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(Math.max(...largest.values())).toBeLessThan(MARGIN_BYTES);
    // The registry keeps every alarm's reason of the last check.
    const record = await world.registry.get('rehearsal');
    expect(record?.lastCheck?.signals.filter((s) => s.verdict === 'unhealthy')).toHaveLength(100);
    expect(bytes(record)).toBeLessThan(400 * 1024);
  });
});
