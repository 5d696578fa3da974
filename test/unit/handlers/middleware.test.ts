/** The handlers' shared stack: a thrown error is logged at the level it deserves, and thrown on unchanged. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidInputError, RefusedError, ThrottledError } from '../../../functions/core/errors.js';
import { lambdaHandler } from '../../../functions/handlers/middleware.js';
import { logger } from '../../../functions/logger.js';

afterEach(() => vi.restoreAllMocks());

describe('lambdaHandler', () => {
  it.each([
    ['a refusal (a caller typo)', 'info', new InvalidInputError([{ field: 'detail.bucket.name', rule: 'is required' }])],
    ['a refusal of the rollout', 'info', new RefusedError('alias live is already split')],
    ['a transient failure the workflow retries', 'warn', new ThrottledError('GetAlias orders:live: Rate exceeded')],
    ['anything else', 'error', new TypeError('x is undefined')],
  ] as const)('logs %s at %s, and throws it on unchanged', async (_, level, thrown) => {
    const spies = { info: vi.spyOn(logger, 'info'), warn: vi.spyOn(logger, 'warn'), error: vi.spyOn(logger, 'error') };
    const handler = lambdaHandler(async () => {
      throw thrown;
    });
    await expect(handler({}, {} as never)).rejects.toBe(thrown);
    for (const [name, spy] of Object.entries(spies)) expect(spy.mock.calls.length, name).toBe(name === level ? 1 : 0);
    expect(spies[level].mock.calls[0]?.[1]).toEqual({ error: thrown });
  });
});
