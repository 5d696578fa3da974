/**
 * The worst accepted input runs within Step Functions' 256 KiB per state: the real workflow, in
 * the rehearsal world, with every state's input and output measured as Step Functions would
 * carry it (JSON, UTF-8 bytes), through a continuation in a new execution near its end, whose
 * input is the whole state.
 */
import { describe, expect, it } from 'vitest';
import { CONTINUE_AT_EVENTS } from '../../functions/core/continuation.js';
import { MAX_PROBES_PER_ROUND } from '../../functions/core/health.js';
import { jsonBytes, MAX_INPUT_BYTES, MAX_JSON_DEPTH, MAX_PROBE_PAYLOAD_BYTES, nestingDepth } from '../../functions/core/limits.js';
import { MAX_STEPS } from '../../functions/core/strategy.js';
import { MAX_REASON_CHARS, type RolloutState } from '../../functions/core/state.js';
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
 * What the test holds every state to: 90% of the limit, so a state that grows is caught before it
 * fails. The largest is what NotifyEnding's task receives at the end of an execution that continued
 * a rollout: the state (the policy, about 31 KiB of the 32 KiB input; 100 step records, about
 * 74 KB; the tally, 1 KB) and the execution's input, which for a continuation is the state as it
 * was handed over: about 223 KB with every limit at once. Every other state is under half the limit.
 */
const MARGIN_BYTES = Math.floor(MAX_STATE_BYTES * 0.9);
/** Every state but NotifyEnding's task, which alone carries the execution's input beside the state. */
const HALF_BYTES = MAX_STATE_BYTES / 2;

/**
 * The input limits (`functions/core/limits.ts` and the schemas): the input at most 32 KiB as JSON,
 * nested at most 32 deep, a probe payload at most 16 KiB, at most 100 alarms of 255 characters,
 * 20 custom metrics and 100 steps.
 */
const LIMITS = { inputBytes: MAX_INPUT_BYTES, probePayloadBytes: MAX_PROBE_PAYLOAD_BYTES, depth: MAX_JSON_DEPTH, alarms: 100, alarmNameChars: 255, metrics: 20, steps: MAX_STEPS };

const bytes = (value: unknown) => jsonBytes(value) ?? 0;

/** 100 steps up to 99%: 0.5%, then 1% to 99%, a minute each but the last, which bakes on for three (and continues in a new execution). */
const HUNDRED_STEPS = {
  type: 'steps',
  steps: [0.5, ...Array.from({ length: LIMITS.steps - 1 }, (_, i) => i + 1)].map((weightPercent) => ({ weightPercent, bakeSeconds: weightPercent === 99 ? 180 : 60 })),
};

/** A probe payload of `size` bytes as JSON, nested as deep as the input's depth limit allows (input, health and probes are the first 3 levels). */
function payloadOf(size: number): unknown {
  const levels = LIMITS.depth - 3;
  const shell = (inner: unknown) => Array.from({ length: levels - 1 }).reduce<unknown>((v) => ({ n: v }), inner);
  return shell({ blob: 'p'.repeat(Math.max(0, size - bytes(shell({ blob: '' })))) });
}

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
      probes: { count: MAX_PROBES_PER_ROUND, payload: payloadOf(payloadBytes), expect: { field: 'statusCode', equals: 200 } },
      insufficientData: { maxHoldSeconds: 0, then: 'proceed' },
    },
  };
}

/** 100 alarms of 255 characters, and a probe payload as large as the rest of 32 KiB allows. */
function mostAlarms() {
  return worstInput(LIMITS.inputBytes - bytes(worstInput(0)) + bytes(payloadOf(0)));
}


/** The largest probe payload, and as many alarms of 255 characters as the rest of 32 KiB allows. */
function largestPayload() {
  let alarms = LIMITS.alarms;
  while (bytes(worstInput(LIMITS.probePayloadBytes, alarms)) > LIMITS.inputBytes) alarms -= 1;
  return worstInput(LIMITS.probePayloadBytes, alarms);
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

/**
 * Runs the input and measures every state's input and output, as StateEntered and StateExited
 * carry them, and every execution's input. At the last step, it continues in a new execution: that
 * execution's input is the whole state, and NotifyEnding, at its end, carries that input beside
 * the state.
 */
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
  let continued = false;
  const nearlyFull = (payload: RolloutState): RolloutState => {
    if (continued || payload.cursor.step < LIMITS.steps - 1) return payload;
    continued = true;
    return { ...payload, cursor: { ...payload.cursor, historyEvents: CONTINUE_AT_EVENTS } };
  };
  // What each task function receives and returns: a state as its Parameters render it (NotifyEnding's carries the execution's input too).
  const wrapTask = (name: string, handler: TaskHandler): TaskHandler => async (payload) => {
    const answer = await handler(name === 'CheckHealth' ? nearlyFull(payload as RolloutState) : payload);
    const task = `${name} (task)`;
    largest.set(task, Math.max(largest.get(task) ?? 0, bytes(payload), bytes(answer)));
    return answer;
  };
  const result = await world.rehearse(input, { onEvent, wrapTask, keepEvents: false });
  for (const e of result.executions) largest.set(`${e.executionName} (execution input)`, bytes(world.workflow.executions.get(e.executionArn)?.input));
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
    expect(nestingDepth(largestPayload())).toBe(LIMITS.depth);
    expect(alarmName(0)).toHaveLength(LIMITS.alarmNameChars);
  });

  it.each([
    { inputs: '100 alarms of 255 characters with insufficient data', make: mostAlarms },
    { inputs: 'the largest probe payload', make: largestPayload },
  ])('$inputs: through 100 steps to 99% and a continuation, every state stays under 90% of 256 KiB, all but one under half', async ({ make }) => {
    const input = make();
    const { result, largest, weights } = await measured(input, 'INSUFFICIENT_DATA');
    expect(result.status).toBe('SUCCEEDED');
    expect(result.executions.map((e) => e.executionName)).toEqual(['rehearsal', 'rehearsal-c1']);
    expect([...weights].sort((a, b) => a - b)).toEqual(HUNDRED_STEPS.steps.map((s) => s.weightPercent));
    const steps = result.output!.steps;
    expect(steps).toHaveLength(100);
    // Every step's reason names an alarm of 255 characters: cut short in the state.
    for (const step of steps) expect(step.reason!.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(steps[0]!.reason).toMatch(/^alarm a-000-x{249} has insufficient data \(observed split.*…$/);
    const over = [...largest].filter(([, size]) => size > MARGIN_BYTES);
    expect(over, `states over ${MARGIN_BYTES} bytes`).toEqual([]);
    expect([...largest].filter(([name, size]) => name !== 'NotifyEnding (task)' && size > HALF_BYTES)).toEqual([]);
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
