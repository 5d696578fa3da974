import { InternalServiceFault, InvalidNextToken } from '@aws-sdk/client-cloudwatch';
import {
  EC2ThrottledException,
  InvalidParameterValueException,
  LambdaServiceException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { AuthorizationErrorException, InternalErrorException, NotFoundException, ThrottledException } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import {
  DriftError,
  ErrorName,
  NotFoundError,
  RejectedError,
  ThrottledError,
  TransientError,
  UpdateInProgressError,
} from '../../../functions/core/errors.js';
import { toRolloutError } from '../../../functions/aws/errors.js';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('toRolloutError', () => {
  const cases: [string, unknown, string][] = [
    ['Lambda 429 TooManyRequestsException', new TooManyRequestsException({ message: 'Rate exceeded', ...meta(429) }), ErrorName.Throttled],
    [
      'a 400 named Throttling (CloudWatch)',
      new LambdaServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', ...meta(400) }),
      ErrorName.Throttled,
    ],
    ['a ThrottlingException without a status', new LambdaServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'slow down', $metadata: {} }), ErrorName.Throttled],
    ['SNS ThrottledException', new ThrottledException({ message: 'Rate exceeded', ...meta(429) }), ErrorName.Throttled],
    ['Lambda 412 PreconditionFailedException', new PreconditionFailedException({ message: 'The Revision Id provided does not match', ...meta(412) }), ErrorName.Drift],
    ['Lambda 409 ResourceConflictException', new ResourceConflictException({ message: 'An update is in progress', ...meta(409) }), ErrorName.UpdateInProgress],
    ['Lambda 404 ResourceNotFoundException', new ResourceNotFoundException({ message: 'Function not found', ...meta(404) }), ErrorName.NotFound],
    ['SNS 404 NotFoundException', new NotFoundException({ message: 'Topic does not exist', ...meta(404) }), ErrorName.NotFound],
    ['Lambda 400 InvalidParameterValueException', new InvalidParameterValueException({ message: 'bad weight', ...meta(400) }), ErrorName.Rejected],
    ['SNS 403 AuthorizationErrorException', new AuthorizationErrorException({ message: 'not authorized', ...meta(403) }), ErrorName.Rejected],
    ['CloudWatch 400 InvalidNextToken', new InvalidNextToken({ message: 'bad token', ...meta(400) }), ErrorName.Rejected],
    [
      'a 403 AccessDeniedException',
      new LambdaServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'no', ...meta(403) }),
      ErrorName.Rejected,
    ],
    ['Lambda 500 ServiceException', new ServiceException({ message: 'internal error', ...meta(500) }), ErrorName.Transient],
    ['Lambda 502 EC2ThrottledException', new EC2ThrottledException({ message: 'EC2 throttled', ...meta(502) }), ErrorName.Transient],
    ['SNS 500 InternalErrorException', new InternalErrorException({ message: 'internal', ...meta(500) }), ErrorName.Transient],
    ['CloudWatch 500 InternalServiceFault', new InternalServiceFault({ message: 'internal', ...meta(500) }), ErrorName.Transient],
    [
      'an unmodelled 503 server fault',
      new LambdaServiceException({ name: 'Unknown', $fault: 'server', message: 'Service Unavailable', ...meta(503) }),
      ErrorName.Transient,
    ],
    ['a server fault without a status', new LambdaServiceException({ name: 'Whatever', $fault: 'server', message: 'x', $metadata: {} }), ErrorName.Transient],
    ['a socket reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), ErrorName.Transient],
    ['a DNS failure', Object.assign(new Error('getaddrinfo ENOTFOUND lambda.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }), ErrorName.Transient],
    ['an SDK TimeoutError', Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' }), ErrorName.Transient],
    ['a RequestTimeout', Object.assign(new Error('Request timed out'), { name: 'RequestTimeout' }), ErrorName.Transient],
    ['a failure with no HTTP answer', Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }), ErrorName.Transient],
  ];

  it.each(cases)('maps %s', (_label, error, expected) => {
    expect(toRolloutError(error, 'UpdateAlias orders:live').name).toBe(expected);
  });

  it('builds instances of the classes the handlers test with instanceof', () => {
    const ctx = 'GetAlias orders:live';
    expect(toRolloutError(new PreconditionFailedException({ message: 'm', ...meta(412) }), ctx)).toBeInstanceOf(DriftError);
    expect(toRolloutError(new ResourceConflictException({ message: 'm', ...meta(409) }), ctx)).toBeInstanceOf(UpdateInProgressError);
    expect(toRolloutError(new ResourceNotFoundException({ message: 'm', ...meta(404) }), ctx)).toBeInstanceOf(NotFoundError);
    expect(toRolloutError(new TooManyRequestsException({ message: 'm', ...meta(429) }), ctx)).toBeInstanceOf(ThrottledError);
    expect(toRolloutError(new ServiceException({ message: 'm', ...meta(500) }), ctx)).toBeInstanceOf(TransientError);
    expect(toRolloutError(new InvalidParameterValueException({ message: 'm', ...meta(400) }), ctx)).toBeInstanceOf(RejectedError);
  });

  it('keeps the SDK error as cause and puts the context and the AWS message in the message', () => {
    const original = new PreconditionFailedException({ message: 'The Revision Id provided does not match the latest Revision Id.', ...meta(412) });
    const mapped = toRolloutError(original, 'UpdateAlias orders:live');
    expect(mapped.cause).toBe(original);
    expect(mapped.message).toContain('UpdateAlias orders:live');
    expect(mapped.message).toContain('The Revision Id provided does not match the latest Revision Id.');
    expect(mapped.message).toContain('PreconditionFailedException');
    expect(mapped.message).toContain('HTTP 412');
  });

  it('passes errors that are already mapped through unchanged', () => {
    const drift = new DriftError('someone else moved the alias');
    expect(toRolloutError(drift, 'UpdateAlias orders:live')).toBe(drift);
  });

  it('wraps thrown non-errors with their text', () => {
    const mapped = toRolloutError('boom', 'GetAlias orders:live');
    expect(mapped.name).toBe(ErrorName.Transient);
    expect(mapped.message).toContain('boom');
    expect(mapped.cause).toBe('boom');
  });
});
