import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, consoleUrl, errorResponse, executionName, MAX_EXECUTION_NAME, noRoute, parseListQuery, replayResponse, routePath } from '../../../functions/core/api.js';
import { newClaim } from '../../../functions/core/registry.js';
import { ErrorName, InvalidInputError, NotFoundError, TransientError } from '../../../functions/core/errors.js';

describe('executionName', () => {
  it('is <function>-<alias>-v<target>-<id>', () => {
    expect(executionName('orders', 'live', '8', '3f2a9c01b7d4')).toBe('orders-live-v8-3f2a9c01b7d4');
    expect(executionName('arn:aws:lambda:eu-west-1:123456789012:function:orders', 'live', '8', 'x')).toBe('orders-live-v8-x');
  });

  it('always fits Step Functions (1-80 characters, no forbidden ones) and keeps the version and id', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z0-9_-]{1,64}$/, { size: 'max' }),
        fc.stringMatching(/^[a-zA-Z0-9_-]{1,128}$/, { size: 'max' }),
        fc.integer({ min: 1, max: 99_999_999 }),
        fc.stringMatching(/^[0-9a-f]{12}$/),
        (fn, alias, version, id) => {
          const name = executionName(fn, alias, String(version), id);
          expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME);
          expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(name.endsWith(`-v${version}-${id}`)).toBe(true);
        },
      ),
    );
  });
});

describe('consoleUrl', () => {
  it.each([
    ['arn:aws:states:eu-west-1:123456789012:execution:sm:x', 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:sm:x'],
    ['arn:aws-cn:states:cn-north-1:123456789012:execution:sm:x', 'https://cn-north-1.console.amazonaws.cn/states/home?region=cn-north-1#/v2/executions/details/arn:aws-cn:states:cn-north-1:123456789012:execution:sm:x'],
    ['arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:sm:x', 'https://us-gov-west-1.console.amazonaws-us-gov.com/states/home?region=us-gov-west-1#/v2/executions/details/arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:sm:x'],
    ['not an arn', undefined],
  ])('%s', (arn, url) => {
    expect(consoleUrl(arn)).toBe(url);
  });
});

describe('canonicalJson', () => {
  it('is the same for the same data in any key order', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }], u: undefined })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe('parseListQuery', () => {
  it('defaults the page size and keeps the bare function name', () => {
    expect(parseListQuery(null)).toEqual({ limit: 20 });
    expect(parseListQuery({ functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', alias: 'live', limit: '5' })).toEqual({ functionName: 'orders', alias: 'live', limit: 5 });
  });

  it('lists every broken rule at once', () => {
    const error = (() => {
      try {
        parseListQuery({ limit: '500', status: 'x', alias: 'live' });
      } catch (e) {
        return e as InvalidInputError;
      }
      return undefined;
    })();
    expect(error?.issues.map((i) => i.field).sort()).toEqual(['alias', 'limit', 'status']);
  });
});

describe('errorResponse', () => {
  it('says nothing of internals for our own failures', () => {
    expect(errorResponse(new NotFoundError('ResourceNotFoundException: table rollouts'), 'req-9')).toEqual({ statusCode: 500, body: { error: 'internal error', requestId: 'req-9' } });
    expect(errorResponse(new TransientError('x'), 'req-9').statusCode).toBe(503);
    expect(errorResponse(new InvalidInputError([{ field: 'limit', rule: 'r' }]), 'req-9')).toEqual({ statusCode: 400, body: { errors: [{ field: 'limit', rule: 'r' }] } });
    expect(ErrorName.Transient).toBe('TransientAwsError');
  });
});

describe('routePath', () => {
  const routes = [
    { method: 'POST', path: '/rollouts' },
    { method: 'GET', path: '/rollouts' },
    { method: 'GET', path: '/rollouts/{id}' },
    { method: 'POST', path: '/rollouts/{id}/abort' },
  ];

  it.each([
    ['GET', '/rollouts/r1', undefined, '/rollouts/r1'],
    ['GET', '/v1/rollouts/r1', undefined, '/rollouts/r1'],
    ['POST', '/v1/rollouts/r1/abort/', undefined, '/rollouts/r1/abort'],
    ['DELETE', '/v1/rollouts', undefined, '/rollouts'],
    // An id named like the collection: the longest suffix with a route for the method wins.
    ['POST', '/rollouts/rollouts', undefined, '/rollouts'],
    // API Gateway routed the resource itself: only the suffix of its depth counts.
    ['POST', '/rollouts/rollouts', '/rollouts/{id}', '/rollouts/rollouts'],
    ['GET', '/nothing', undefined, undefined],
    ['GET', '/', undefined, undefined],
  ])('%s %s (resource %s) is the route path %s', (method, path, resource, expected) => {
    expect(routePath(routes, { method, path, ...(resource ? { resource } : {}) })).toBe(expected);
  });

  it('answers a path with routes for other methods 405, naming them, and any other 404', () => {
    expect(noRoute('DELETE', '/rollouts', routes)).toEqual({ statusCode: 405, body: { error: 'DELETE is not allowed here; use POST, GET' }, headers: { Allow: 'POST, GET' } });
    expect(noRoute('GET', '/nothing', routes)).toEqual({ statusCode: 404, body: { error: 'no route for GET /nothing' } });
  });
});

describe('replayResponse', () => {
  const claim = newClaim('k', 'fp1', 0);

  it('refuses another request under the key, asks to retry while in progress, else replays the first answer', () => {
    expect(replayResponse(claim, 'fp2').statusCode).toBe(422);
    expect(replayResponse(claim, 'fp1')).toMatchObject({ statusCode: 409, headers: { 'Retry-After': '1' } });
    expect(replayResponse({ ...claim, status: 'completed', response: { statusCode: 202, body: { rolloutId: 'r1' } } }, 'fp1')).toEqual({
      statusCode: 202,
      body: { rolloutId: 'r1' },
      headers: { 'Idempotent-Replayed': 'true' },
    });
  });
});
