import { describe, expect, it } from 'vitest';
import { capacityRefusal, concurrencyWanted, eventSourceNote, leftProvisioned, provisioningProgress, requested } from '../../../functions/core/concurrency.js';

const T = Date.UTC(2026, 0, 5, 10);
const config = (requestedExecutions: number, status: 'IN_PROGRESS' | 'READY' | 'FAILED' = 'READY', qualifier = 'live') => ({ qualifier, requested: requestedExecutions, status });

describe('how much provisioned concurrency the target gets', () => {
  it.each([
    ['none asked, none on the alias', undefined, undefined, undefined, undefined],
    ['the alias\'s amount', undefined, config(20), undefined, { executions: 20, source: 'alias', status: 'wanted' }],
    ['the input\'s amount, over the alias\'s', 5, config(20), undefined, { executions: 5, source: 'input', status: 'wanted' }],
    ['none when the input says 0', 0, config(20), undefined, undefined],
    ['none when the target already has as much', undefined, config(20), config(20, 'READY', '8'), undefined],
    ['more when the target has less', undefined, config(20), config(10, 'READY', '8'), { executions: 20, source: 'alias', status: 'wanted' }],
  ] as const)('%s', (_, asked, alias, target, wanted) => {
    expect(concurrencyWanted(asked, alias, target)).toEqual(wanted);
  });
});

describe('capacityRefusal', () => {
  it('with reserved concurrency: all provisioned concurrency must fit in it', () => {
    expect(capacityRefusal('orders', 10, { reserved: 30, provisioned: 20, unreserved: 5 })).toBeUndefined();
    expect(capacityRefusal('arn:aws:lambda:eu-west-1:123456789012:function:orders', 11, { reserved: 30, provisioned: 20, unreserved: 900 })).toBe(
      'provisioned concurrency of 11 on the target does not fit: function orders has a reserved concurrency of 30 and already 20 provisioned',
    );
  });

  it('without: the account keeps 100 unreserved', () => {
    expect(capacityRefusal('orders', 50, { provisioned: 0, unreserved: 150 })).toBeUndefined();
    expect(capacityRefusal('orders', 51, { provisioned: 0, unreserved: 150 })).toBe(
      'provisioned concurrency of 51 on the target does not fit: the account has 150 unreserved concurrency and Lambda keeps at least 100 unreserved',
    );
  });
});

describe('provisioning progress', () => {
  const adding = requested({ executions: 20, source: 'alias', status: 'wanted' }, config(20, 'IN_PROGRESS', '8'), T);

  it('is adding once requested, ready when READY, refused when FAILED or too slow', () => {
    expect(adding).toEqual({ executions: 20, source: 'alias', status: 'adding', since: T });
    expect(provisioningProgress(adding, config(20, 'READY', '8'), T + 60_000, '8')).toEqual({ concurrency: { ...adding, status: 'ready' } });
    expect(provisioningProgress(adding, config(20, 'IN_PROGRESS', '8'), T + 60_000, '8')).toEqual({ concurrency: adding });
    expect(provisioningProgress(adding, { ...config(20, 'FAILED', '8'), reason: 'INIT failed' }, T, '8').refusal).toBe('provisioned concurrency of 20 on version 8 failed: INIT failed');
    expect(provisioningProgress(adding, config(20, 'IN_PROGRESS', '8'), T + 900_000, '8').refusal).toBe('provisioned concurrency of 20 on version 8 was not ready after 900s (0 allocated)');
    expect(provisioningProgress(adding, undefined, T, '8').refusal).toBe('provisioned concurrency of 20 on version 8 disappeared while it was being allocated');
  });

  it('is left to remove once Lambda was asked, until removed', () => {
    expect(leftProvisioned(undefined)).toBe(false);
    expect(leftProvisioned({ executions: 1, source: 'input', status: 'wanted' })).toBe(false);
    for (const status of ['adding', 'ready', 'failed'] as const) expect(leftProvisioned({ executions: 1, source: 'input', status })).toBe(true);
    expect(leftProvisioned({ executions: 1, source: 'input', status: 'removed' })).toBe(false);
  });
});

describe('eventSourceNote', () => {
  it('says nothing without mappings, and lists at most five', () => {
    expect(eventSourceNote([])).toBeUndefined();
    const many = Array.from({ length: 7 }, (_, i) => ({ uuid: `u${i}`, eventSourceArn: `arn:aws:sqs:eu-west-1:123456789012:q${i}` }));
    expect(eventSourceNote(many)).toMatch(/^7 event source mappings invoke this alias \(arn:aws:sqs:eu-west-1:123456789012:q0; .*q4; and 2 more\): the weights apply to each invocation/);
  });
});
