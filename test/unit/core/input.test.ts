import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/core/errors.js';
import { parseRolloutInput } from '../../../functions/core/input.js';

const base = { functionName: 'orders', alias: 'live', targetVersion: '8' };

function issues(raw: unknown): string[] {
  try {
    parseRolloutInput(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).issues.map((i) => `${i.field}: ${i.rule}`);
  }
  throw new Error('input was accepted');
}

/** An object nested `n` levels deep. */
const deep = (n: number): unknown => Array.from({ length: n - 1 }).reduce<unknown>((inner) => ({ inner }), {});

describe('parseRolloutInput', () => {
  it('refuses 5,000 levels of nesting without walking them', () => {
    expect(issues({ ...base, strategy: deep(5000) })).toEqual(['(input): must nest objects and arrays at most 32 deep']);
  });

  it('takes a version number exactly as written, and the largest probe payload', () => {
    expect(parseRolloutInput({ ...base, targetVersion: 9_007_199_254_740_991 }).input.targetVersion).toBe('9007199254740991');
    const payload = { blob: 'x'.repeat(16_384 - 12) };
    expect(parseRolloutInput({ ...base, health: { probes: { payload } } }).input.health.probes?.payload).toEqual(payload);
  });

  it('fills defaults: Canary10Percent5Minutes and the default health policy', () => {
    const { input, plan, legacy } = parseRolloutInput(base);
    expect(legacy).toBe(false);
    expect(plan.strategy).toBe('Canary10Percent5Minutes');
    expect(input.health).toMatchObject({
      minRequests: 100,
      metricDelaySeconds: 120,
      checkEverySeconds: 60,
      errors: { test: 'sequential', falseRollbackRate: 0.01, tolerance: 0.001 },
      latency: { p99: { maxRatio: 1.5, maxIncreaseMs: 25 }, minSamples: 500, enabled: true },
      alarms: { names: [], insufficientData: 'hold' },
      metrics: [],
      insufficientData: { holdSeconds: 60, maxHoldSeconds: 600, then: 'rollback' },
    });
    expect(input.health.probes).toBeUndefined();
    expect(input.notifications).toEqual({});
  });

  it('accepts a function ARN and a numeric version', () => {
    const { input } = parseRolloutInput({ ...base, functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', targetVersion: 12 });
    expect(input.targetVersion).toBe('12');
  });

  it('takes the adaptive strategy with its defaults', () => {
    const { plan } = parseRolloutInput({ ...base, strategy: { type: 'adaptive' } });
    expect(plan.steps).toEqual([{ weightPercent: 10, bakeSeconds: 600 }, { weightPercent: 50, bakeSeconds: 600 }]);
    expect(plan.minBakeSeconds).toBe(60);
  });

  it.each([
    ['CodeDeployDefault.LambdaLinear10PercentEvery2Minutes', 9],
    ['Canary10Percent30Minutes', 1],
    ['AllAtOnce', 0],
  ])('takes the preset %s', (strategy, steps) => {
    expect(parseRolloutInput({ ...base, strategy }).plan.steps).toHaveLength(steps);
  });

  it.each([
    [{ ...base, functionName: 'orders:live' }, 'functionName: must be a function name'],
    [{ ...base, functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders:live' }, 'functionName: must be a function name'],
    [{ ...base, alias: '42' }, 'alias: must be 1-128 letters, digits, "-" or "_", not all digits'],
    [{ ...base, targetVersion: '$LATEST' }, 'targetVersion: must be a published version; $LATEST cannot be routed by weight'],
    [{ ...base, targetVersion: '0' }, 'targetVersion: must be a published version number'],
    [{ ...base, targetVersion: 'v2' }, 'targetVersion: must be a published version number'],
    [{ ...base, strategy: 'Canary50Percent1Minute' }, 'strategy: "Canary50Percent1Minute" is not a preset'],
    [{ ...base, strategy: { type: 'canary', percent: 100, bakeSeconds: 300 } }, 'strategy.percent: the canary weight must be more than 0 and less than 100'],
    [{ ...base, strategy: { type: 'canary', percent: 10 } }, 'strategy.bakeSeconds: is required'],
    [{ ...base, strategy: { type: 'linear', percent: 10, intervalSeconds: 59 } }, 'strategy.intervalSeconds: must be a whole number of seconds, at least 60'],
    [{ ...base, strategy: { type: 'exponential', startPercent: 1, factor: 1, intervalSeconds: 60 } }, 'strategy.factor: must be more than 1'],
    [{ ...base, strategy: { type: 'steps', steps: [] } }, 'strategy.steps: at least one step is required'],
    [{ ...base, strategy: { type: 'steps', steps: [{ weightPercent: 50, bakeSeconds: 60 }, { weightPercent: 5, bakeSeconds: 60 }] } }, 'strategy.steps[1].weightPercent: weights must strictly increase (got 5 after 50)'],
    [{ ...base, strategy: { type: 'steps', steps: [{ weightPercent: 150, bakeSeconds: 60 }] } }, 'strategy.steps[0].weightPercent: the weight must be more than 0 and less than 100'],
    [{ ...base, strategy: { type: 'blue-green' } }, 'strategy.type: must be one of canary, linear, exponential, steps, adaptive, allAtOnce'],
    [{ ...base, strategy: { type: 'linear', percent: 0.5, intervalSeconds: 60 } }, 'strategy.steps: at most 100 steps'],
    [{ ...base, strategy: { type: 'canary', percent: 10, bakeSeconds: 31_536_000 } }, 'longer than a Standard execution may run'],
    [{ ...base, health: { minRequests: 0 } }, 'health.minRequests: must be a whole number of at least 1'],
    [{ ...base, health: { errors: { falseRollbackRate: 0.5 } } }, 'health.errors.falseRollbackRate: must be a fraction above 0 and at most 0.2'],
    [{ ...base, health: { metricDelaySeconds: 1000 } }, 'health.metricDelaySeconds: must be whole seconds from 0 to 900'],
    [{ ...base, health: { alarms: { names: [''] } } }, 'health.alarms.names[0]: must not be empty'],
    [{ ...base, health: { metrics: [{ name: 'x', namespace: 'N', metricName: 'M', stat: 'p99', compare: 'threshold' }] } }, 'health.metrics[0].threshold: is required when compare is "threshold"'],
    [{ ...base, health: { probes: { count: 101 } } }, 'health.probes.count: must be a whole number from 1 to 100'],
    [{ ...base, health: { probes: { everySeconds: 30 } } }, 'health.probes.everySeconds: must be whole seconds, at least 60'],
    [{ ...base, health: { advance: 'fast' } }, 'health.advance: must be "evidence" or "schedule"'],
    [{ ...base, strategy: { type: 'adaptive', minBakeSeconds: 600, maxBakeSeconds: 120 } }, 'strategy.maxBakeSeconds: must be at least minBakeSeconds'],
    [{ ...base, health: { maxErrorRateIncrease: 0.01 } }, 'health.maxErrorRateIncrease: is not a known field'],
    [{ ...base, health: { insufficientData: { then: 'promote' } } }, 'health.insufficientData.then: must be "rollback" or "proceed"'],
    [{ ...base, notifications: { events: ['shifted', 'exploded'] } }, 'notifications.events[1]: must be one of started'],
    [{ ...base, notifications: { attributes: { eventType: 'x' } } }, 'notifications.attributes.eventType: names must not be one of ours'],
    [{ ...base, colour: 'blue' }, 'colour: is not a known field'],
    [{ alias: 'live', targetVersion: '8' }, 'functionName: is required'],
    ['orders', '(input): must be a JSON object'],
    [{ ...base, targetVersion: 12345678901234567890 }, 'targetVersion: must be a published version number, e.g. "7"; as a JSON number, a whole number up to 9007199254740991'],
    [{ ...base, targetVersion: 7.5 }, 'targetVersion: must be a published version number'],
    [{ ...base, targetVersion: Number.NaN }, 'targetVersion: must be a published version number'],
    [{ ...base, targetVersion: Number.POSITIVE_INFINITY }, 'targetVersion: must be a published version number'],
    [{ ...base, health: { probes: { payload: { blob: 'x'.repeat(17_000) } } } }, 'health.probes.payload: must be at most 16384 bytes as JSON'],
    [{ ...base, rolloutId: 'r'.repeat(40_000) }, '(input): must be at most 32768 bytes as JSON; this is 40'],
    [{ ...base, health: { probes: { payload: deep(40) } } }, '(input): must nest objects and arrays at most 32 deep'],
  ])('refuses %j naming the field and the rule', (raw, message) => {
    expect(issues(raw).join('\n')).toContain(message);
  });

  it('reports every broken rule at once', () => {
    expect(issues({ functionName: '', alias: '', targetVersion: '$LATEST' })).toHaveLength(3);
  });
});

describe('the aws-lambda-deploy input format', () => {
  const legacy = { 'function-name': 'Redirect', 'alias-name': 'LIVE', 'new-version': '38', steps: 5, interval: 120, type: 'linear' };

  it('maps steps and interval onto a linear plan ending in promotion', () => {
    const { input, plan, legacy: isLegacy } = parseRolloutInput(legacy);
    expect(isLegacy).toBe(true);
    expect(input).toMatchObject({ functionName: 'Redirect', alias: 'LIVE', targetVersion: '38' });
    expect(plan.steps).toEqual([20, 40, 60, 80].map((weightPercent) => ({ weightPercent, bakeSeconds: 120 })));
  });

  it('one step is all at once; health-check is accepted', () => {
    expect(parseRolloutInput({ ...legacy, steps: 1, 'health-check': true }).plan.steps).toEqual([]);
  });

  it('three steps round to the precision Lambda keeps', () => {
    expect(parseRolloutInput({ ...legacy, steps: 3 }).plan.steps.map((s) => s.weightPercent)).toEqual([33.33, 66.67]);
  });

  it.each([
    [{ ...legacy, type: 'canary' }, 'type: must be "linear"'],
    [{ ...legacy, steps: 0 }, 'steps: must be a whole number of steps from 1 to 100'],
    [{ ...legacy, interval: 10 }, 'interval: must be a whole number of seconds, at least 60'],
    [{ ...legacy, 'new-version': '$LATEST' }, 'new-version: must be a published version'],
    [{ ...legacy, functionName: 'x' }, 'functionName: is not a known field'],
  ])('refuses %j in its own field names', (raw, message) => {
    expect(issues(raw).join('\n')).toContain(message);
  });
});
