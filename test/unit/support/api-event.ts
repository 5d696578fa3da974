/** API Gateway REST proxy events, as the rollout API's resources receive them, for the API tests. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { CALLER } from './rollouts.js';

export interface Call {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  caller?: string;
  path?: string;
}

/** An API Gateway REST proxy event at `now`, as the resource `resource` receives it. */
export function apiEvent(now: number, method: string, resource: string, call: Call = {}): APIGatewayProxyEvent {
  const params = /\{id\}/.test(resource) ? { id: (call.path ?? '').split('/')[2] ?? '' } : null;
  const path = call.path ?? resource;
  return {
    resource,
    path,
    httpMethod: method,
    headers: { 'Content-Type': 'application/json', Host: 'abc123.execute-api.eu-west-1.amazonaws.com', ...call.headers },
    multiValueHeaders: {},
    queryStringParameters: call.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: params,
    stageVariables: null,
    body: call.rawBody ?? (call.body === undefined ? null : JSON.stringify(call.body)),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: `/v1${path}`,
      stage: 'v1',
      requestId: 'req-1',
      requestTimeEpoch: now,
      resourceId: 'res1',
      resourcePath: resource,
      identity: {
        accessKey: 'ASIAEXAMPLE',
        accountId: '123456789012',
        apiKey: null,
        apiKeyId: null,
        caller: 'AIDAEXAMPLE',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '198.51.100.7',
        user: 'AIDAEXAMPLE',
        userAgent: 'aws-cli/2',
        userArn: call.caller ?? CALLER,
      },
    },
  } as APIGatewayProxyEvent;
}
