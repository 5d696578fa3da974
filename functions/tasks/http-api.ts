/**
 * An HTTP API behind API Gateway (REST API, Lambda proxy integration) from a table of routes, on
 * middy's HTTP packages: `@middy/http-header-normalizer` (lower-case request header names),
 * `@middy/http-router` (method and path to a route) and `@middy/http-json-body-parser` (the routes
 * that take a body). Ours are what those packages leave to the application: the path under a custom
 * domain's base path mapping, 404 and 405 with `Allow`, and errors as our JSON answers
 * (`core/api.ts`), never a stack trace.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type ApiResponse, errorResponse, noRoute, routePath } from '../core/api.js';
import { InvalidInputError } from '../core/errors.js';
import { bodyIssues } from '../core/limits.js';
import { logger } from '../logger.js';

/** A request as the routes see it. */
export interface ApiRequest {
  /** The route's path parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body of a route that takes one; undefined when there is none. */
  readonly body: unknown;
  /** The IAM caller's ARN. */
  readonly caller: string;
  /** The stage's path prefix (e.g. "/v1"), so links resolve against the API's URL. */
  readonly basePath: string;
}

export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  /** A path template, e.g. "/rollouts/{id}". */
  readonly path: string;
  /** Whether the route reads a JSON body. */
  readonly jsonBody?: boolean;
  readonly handle: (request: ApiRequest) => Promise<ApiResponse>;
}

function toProxyResult(response: ApiResponse): APIGatewayProxyResult {
  return {
    statusCode: response.statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...response.headers },
    body: JSON.stringify(response.body),
  };
}

/** A path parameter %-decoded; a malformed escape (`%E0%A4%A`) is the caller's error, naming the parameter. */
function decoded(name: string, value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new InvalidInputError([{ field: name, rule: 'must be %-encoded correctly: each % followed by two hex digits of a UTF-8 character' }]);
  }
}

// API Gateway decodes the parameters of a resource it routed itself; those the router read from the
// path (a greedy `{proxy+}` resource, a base path mapping) are still %-encoded.
function paramsOf(event: APIGatewayProxyEvent, template: string): Record<string, string> {
  const given = event.pathParameters ?? {};
  const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  return Object.fromEntries(names.map((name) => [name, event.resource === template ? (given[name] ?? '') : decoded(name, given[name] ?? '')]));
}

/**
 * Refuses a body larger than `MAX_INPUT_BYTES` or nested deeper than `MAX_JSON_DEPTH` before the
 * JSON parser (and everything after it) reads it: a 400 naming `(body)` and the limit.
 */
function bodyLimits(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: ({ event }) => {
      if (typeof event.body !== 'string') return;
      const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      const issues = bodyIssues(text, Buffer.byteLength(text, 'utf8'));
      if (issues.length > 0) throw new InvalidInputError(issues);
    },
  };
}

function requestOf(event: APIGatewayProxyEvent, route: ApiRoute): ApiRequest {
  const identity = event.requestContext?.identity;
  const stage = event.requestContext?.stage;
  return {
    params: paramsOf(event, route.path),
    query: event.queryStringParameters ?? {},
    headers: event.headers ?? {},
    // http-json-body-parser parses a missing body (null) to null.
    body: route.jsonBody ? ((event.body as unknown) ?? undefined) : undefined,
    caller: identity?.userArn ?? identity?.caller ?? 'unknown caller',
    basePath: stage && stage !== '$default' ? `/${stage}` : '',
  };
}

/** Sets `event.path` to the path the routes know (`routePath`): what a base path mapping leaves. */
function routeRelativePath(routes: readonly ApiRoute[]): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: ({ event }) => {
      const path = routePath(routes, { method: event.httpMethod, path: event.path ?? '', resource: event.resource });
      if (path !== undefined) event.path = path;
    },
  };
}

// What the JSON body parser throws (an HttpError from @middy/util) as the 400 every other broken rule gets.
function bodyIssue(error: unknown): InvalidInputError | undefined {
  const cause = (error as { cause?: { package?: unknown; data?: unknown } } | undefined)?.cause;
  if (cause?.package !== '@middy/http-json-body-parser') return undefined;
  const forbidden = (error as Error).message === 'Forbidden key in JSON body';
  return new InvalidInputError([{ field: '(body)', rule: forbidden ? `must not use the key ${JSON.stringify(cause.data)}` : 'must be valid JSON' }]);
}

/**
 * Any error as an answer (`errorResponse`): 400 for bad input, 429 and 503 worth a retry, 500 with
 * only the request id. Those on our side are logged, with the request id to find them.
 */
function errorAnswers(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const requestId = request.event.requestContext?.requestId ?? '';
      const response = errorResponse(bodyIssue(request.error) ?? request.error, requestId);
      if (response.statusCode >= 500 || response.statusCode === 429) logger.error('request failed', { requestId, error: request.error as Error });
      request.response = toProxyResult(response);
    },
  };
}

/** The API over its routes, as one function of the API Gateway event. */
export function httpApi(routes: readonly ApiRoute[]) {
  const router = httpRouterHandler<APIGatewayProxyEvent, APIGatewayProxyResult>({
    routes: routes.map((route) => {
      const handler = async (event: APIGatewayProxyEvent) => toProxyResult(await route.handle(requestOf(event, route)));
      return {
        method: route.method,
        path: route.path,
        handler: route.jsonBody ? middy(handler).use(bodyLimits()).use(httpJsonBodyParser({ disableContentTypeCheck: true })) : handler,
      };
    }),
    notFoundResponse: ({ method, path }) => toProxyResult(noRoute(method, path, routes)),
  });
  const api = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpHeaderNormalizer())
    .use(routeRelativePath(routes))
    .use(errorAnswers())
    .handler(router);
  // The routes read nothing from the Lambda context; middy makes an empty one when there is none.
  return (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => api(event, context as Context);
}
