/** The health analysis through the real workflow: alarms, custom metrics, probes, adaptive. */
import { describe, expect, it } from 'vitest';
import { rehearse } from '../../sim/rehearsal.js';
import { parseScenario, type ScenarioInput } from '../../sim/scenarios.js';
import type { SimWorld } from '../../sim/world.js';

const steady = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
const scenario = (extra: Partial<ScenarioInput>) =>
  parseScenario({ name: 'health', traffic: { rps: 50 }, baseline: steady, target: steady, strategy: 'Canary10Percent5Minutes', ...extra } as ScenarioInput);

const aliasErrorsAlarm = (world: SimWorld) =>
  world.cloudwatch.putMetricAlarm({
    alarmName: 'orders-errors',
    namespace: 'AWS/Lambda',
    metricName: 'Errors',
    dimensions: { FunctionName: 'orders', Resource: 'orders:live' },
    stat: 'Sum',
    periodSeconds: 60,
    evaluationPeriods: 1,
    threshold: 50,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    treatMissingData: 'notBreaching',
  });

describe('alarms', () => {
  it('an alarm in ALARM rolls back, with the alarm named in the reason', async () => {
    const r = await rehearse(scenario({ target: { ...steady, errorRate: 0.5 }, health: { errors: { test: 'none' }, alarms: { names: ['orders-errors'] } } }), { setup: aliasErrorsAlarm });
    expect(r.outcome).toBe('rolled_back');
    expect(r.reason).toMatch(/^alarm orders-errors is in ALARM: Threshold Crossed/);
    expect(r.finalAlias).toEqual({ version: '1', routing: {} });
  });

  it('a quiet alarm lets a healthy release through', async () => {
    const r = await rehearse(scenario({ health: { alarms: { names: ['orders-errors'] } } }), { setup: aliasErrorsAlarm });
    expect(r.outcome).toBe('promoted');
  });

  it('a listed alarm that does not exist is refused before anything changes', async () => {
    const r = await rehearse(scenario({ health: { alarms: { names: ['orders-erors'] } } }), { setup: aliasErrorsAlarm });
    expect(r).toMatchObject({ outcome: 'failed', error: 'RolloutRefused', steps: [], finalAlias: { version: '1', routing: {} } });
    expect(r.reason).toBe('health.alarms.names: "orders-erors" does not exist; a missing alarm would never fire');
  });
});

describe('custom metrics', () => {
  /** A business metric per version: orders placed per minute, the target placing fewer. */
  const ordersPlaced = (target: number) => (world: SimWorld) => {
    for (let m = 0; m < 15; m++) {
      for (const [version, value] of [['1', 100], ['2', target]] as const) {
        world.cloudwatch.putMetricData('Shop', [{ metricName: 'OrdersPlaced', dimensions: { Version: version }, timestamp: world.startTime + m * 60_000 + 1000, value }]);
      }
    }
  };
  const check = { name: 'orders placed', namespace: 'Shop', metricName: 'OrdersPlaced', dimensions: { Version: '${version}' }, stat: 'Average', compare: 'baseline', worseWhen: 'below', tolerance: 0.2 };

  it('a target placing 40% fewer orders than the baseline is rolled back', async () => {
    const r = await rehearse(scenario({ health: { metrics: [check] } }), { setup: ordersPlaced(60) });
    expect(r.outcome).toBe('rolled_back');
    expect(r.reason).toBe('orders placed target 60 vs baseline 100: worse by more than 20%');
  });

  it('within tolerance it is promoted', async () => {
    const r = await rehearse(scenario({ health: { metrics: [check] } }), { setup: ordersPlaced(95) });
    expect(r.outcome).toBe('promoted');
  });
});

describe('probes', () => {
  it('a quiet function is promoted on passing probes when they count as evidence, and the verdict says so', async () => {
    const r = await rehearse(scenario({ traffic: { rps: 0.2 }, health: { probes: { count: 20, everySeconds: 60, countAsEvidence: true } } }));
    expect(r.outcome).toBe('promoted');
    expect(r.target.requests).toBeLessThan(20);
    expect(r.steps[0]?.reason).toMatch(/^judged on probes: \d+ passing probes and \d+ requests make the minimum evidence/);
  });

  it('by default passing probes never stand in for traffic: a quiet function is not promoted untested', async () => {
    const r = await rehearse(scenario({ traffic: { rps: 0.2 }, health: { probes: { count: 20, everySeconds: 60 } } }));
    expect(r.outcome).toBe('rolled_back');
    expect(r.reason).toMatch(/^not enough traffic/);
  });

  it('a crashing target is refused by its probes before any traffic moves: no user request reaches it', async () => {
    let world: SimWorld | undefined;
    const r = await rehearse(scenario({ target: { ...steady, errorRate: 1 }, health: { probes: { count: 3 } } }), { setup: (w) => (world = w) });
    expect(await world?.registry.getLock('orders', 'live')).toBeUndefined();
    expect(world?.registry.allRecords.map((x) => x.status)).toEqual(['refused']);
    expect(world?.notifier.published.map((n) => n.type)).toEqual(['started', 'refused']);
    expect(r).toMatchObject({ outcome: 'failed', error: 'RolloutRefused', steps: [], durationSeconds: 0, finalAlias: { version: '1', routing: {} } });
    expect(r.reason).toMatch(/^version 2 failed its probes before any traffic moved: 3 of 3 failed: function error \(Unhandled\)/);
    expect(r.target).toMatchObject({ requests: 0, errors: 0 });
  });
});

describe('latency', () => {
  it('a doubled p99 is rolled back', async () => {
    const r = await rehearse(scenario({ traffic: { rps: 100 }, target: { errorRate: 0.001, p50Ms: 60, p99Ms: 400 } }));
    expect(r.outcome).toBe('rolled_back');
    expect(r.reason).toMatch(/^p9[09] latency over the limit, slow requests \d+x the baseline's share \(likelihood ratio .* >= 200\): target [\d.]+% \(\d+\/\d+\) vs baseline [\d.]+% \(\d+\/\d+\) slower than \d+ ms/);
  });
});

describe('adaptive strategy', () => {
  it('a healthy release with real traffic advances as soon as each weight has a judged minute, long before its maximum bakes', async () => {
    const adaptive = await rehearse(scenario({ traffic: { rps: 100 }, strategy: { type: 'adaptive' } }));
    expect(adaptive.outcome).toBe('promoted');
    expect(adaptive.steps.map((s) => s.weightPercent)).toEqual([10, 50]);
    // Each weight: its first whole minute, plus CloudWatch's 120 s, against 600 s maximum bakes.
    expect(adaptive.steps[1]!.startedAtSeconds).toBe(180);
    expect(adaptive.durationSeconds).toBe(360);
  });

  it('a regression never advances early', async () => {
    const r = await rehearse(scenario({ traffic: { rps: 100 }, strategy: { type: 'adaptive' }, target: { ...steady, errorRate: 0.02 } }));
    expect(r.outcome).toBe('rolled_back');
    expect(r.steps).toHaveLength(1);
  });
});
