/**
 * The service's metrics as CloudWatch reads them: the embedded-metric-format JSON Powertools prints
 * on stdout, captured and parsed, with the namespace, names, units, dimension sets and values the
 * dashboard and alarms rely on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmfServiceMetrics } from '../../../functions/aws/emf-metrics.js';
import { serviceMetrics } from '../../../functions/aws/index.js';
import { endingMetrics, weightMetrics } from '../../../functions/core/service-metrics.js';
import type { RolloutState } from '../../../functions/core/state.js';
import { iso, runningState, T0 } from '../support/rollouts.js';

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** The EMF documents `run` prints on stdout, one per line. */
function printed(run: () => void): Emf[] {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    write.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Emf);
}

const running = runningState();
const rolledBack: RolloutState = {
  ...running,
  alias: { functionVersion: '7', routing: {}, revisionId: 'r4' },
  history: [...running.history.slice(0, -1), { ...running.history[2]!, checks: 1, verdict: 'unhealthy', reason: 'errors 5x the baseline', target: { invocations: 900, errors: 9 } }],
  outcome: { status: 'rolled_back', reason: 'errors 5x the baseline', at: iso(T0 + 240_000), finalVersion: '7' },
};

afterEach(() => vi.restoreAllMocks());

describe('the service metrics in embedded metric format', () => {
  it('print one document per emission: LambdaRollout namespace, a series per function and one for the service', () => {
    const [emf, ...more] = printed(() => new EmfServiceMetrics().emit(endingMetrics('rolled_back', 'orders', rolledBack)));
    expect(more).toEqual([]);
    expect(emf?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'LambdaRollout',
        Dimensions: [['service', 'FunctionName'], ['service']],
        Metrics: [
          { Name: 'RolloutsRolledBack', Unit: 'Count' },
          { Name: 'DetectionSeconds', Unit: 'Seconds' },
          { Name: 'FailedTargetRequests', Unit: 'Count' },
        ],
      },
    ]);
    expect(emf).toMatchObject({ service: 'lambda-rollout', FunctionName: 'orders', RolloutsRolledBack: 1, DetectionSeconds: 240, FailedTargetRequests: 9 });
    expect(typeof emf?._aws.Timestamp).toBe('number');
  });

  it('keep each emission to its own function: nothing carries over to the next', () => {
    const metrics = serviceMetrics();
    const [orders, payments] = printed(() => {
      metrics.emit(weightMetrics(running));
      metrics.emit(weightMetrics({ ...running, rollout: { ...running.rollout, functionName: 'payments' }, alias: { ...running.alias, routing: { '8': 50 } } }));
    });
    expect(orders).toMatchObject({ FunctionName: 'orders', TargetWeightPercent: 30 });
    expect(orders?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'TargetWeightPercent', Unit: 'Percent' }]);
    expect(payments).toMatchObject({ FunctionName: 'payments', TargetWeightPercent: 50 });
    expect(payments).not.toHaveProperty('RolloutsRolledBack');
  });

  it('publish the service-wide series alone when no function is known', () => {
    const [emf] = printed(() => new EmfServiceMetrics().emit(endingMetrics('refused', undefined)));
    expect(emf?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(emf).toMatchObject({ service: 'lambda-rollout', RolloutsRefused: 1 });
    expect(emf).not.toHaveProperty('FunctionName');
  });

  it('never throw: a point CloudWatch would refuse is dropped with a warning, and the next emission is clean', () => {
    const metrics = new EmfServiceMetrics();
    const docs = printed(() => {
      expect(() => metrics.emit({ functionName: 'orders', points: [{ name: 'DetectionSeconds', unit: 'Seconds', value: Number.NaN }] })).not.toThrow();
      metrics.emit(endingMetrics('promoted', 'payments'));
    });
    expect(docs).toHaveLength(1);
    expect(docs[0]?._aws.CloudWatchMetrics[0]).toMatchObject({ Dimensions: [['service', 'FunctionName'], ['service']], Metrics: [{ Name: 'RolloutsPromoted', Unit: 'Count' }] });
    expect(docs[0]).toMatchObject({ FunctionName: 'payments', RolloutsPromoted: 1 });
  });
});
