/**
 * The local rollout service over HTTP, run as its own process by the CLI's end-to-end tests
 * (`tsx test/cli/support/serve.ts`; it prints `listening <port>`). It answers, on one port:
 *
 * - `/v1/...`: the rollout API, as API Gateway's REST proxy hands requests to the handler;
 * - `POST /` with an `X-Amz-Target` or a query `Action`: the few AWS calls the CLI makes itself
 *   (CloudFormation DescribeStacks, Step Functions DescribeExecution, CloudWatch GetMetricData),
 *   in their wire protocols, so the CLI's SDK clients reach it through `AWS_ENDPOINT_URL_*`;
 * - `/__test/...`: set-up and inspection for the test, unsigned.
 *
 * Every AWS request must carry a SigV4 signature made with the test credentials for the right
 * service and region: it is verified by signing the request again with the same library, and a
 * request that fails is answered 403 as AWS would.
 *
 * This process owns the virtual clock: while an execution runs, `Date` is the workflow's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { STACK_OUTPUTS } from '../../../functions/names.js';
import { CALLER_ARN, TEST_CREDENTIALS, TEST_REGION, TEST_STACK } from './local-account.js';
import { LocalService, STATE_MACHINE_ARN, type WorldSettings } from './local-service.js';

const STAGE = 'v1';
/** AWS refuses a signature more than 15 minutes off its clock. */
const MAX_SKEW_MS = 15 * 60_000;
// Taken before any execution fakes the clock: signatures are checked against the wall clock.
const wallClockNow = Date.now;

let service = await LocalService.create({});
let port = 0;

/** Why a request's SigV4 signature is not valid for `service`, or undefined when it is. */
async function signatureProblem(req: IncomingMessage, body: string, signingService: string): Promise<string | undefined> {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'Missing Authentication Token';
  const [, accessKeyId, , region, signedFor, signedHeaders = ''] = m;
  if (accessKeyId !== TEST_CREDENTIALS.accessKeyId) return `The security token included in the request is invalid (access key ${accessKeyId})`;
  if (signedFor !== signingService || region !== TEST_REGION) return `Credential should be scoped to ${TEST_REGION}/${signingService}, not ${region}/${signedFor}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(signingDate.getTime()) || Math.abs(wallClockNow() - signingDate.getTime()) > MAX_SKEW_MS) return `Signature expired or not yet valid: ${amzDate}`;
  const names = signedHeaders.split(';');
  const headers = Object.fromEntries(names.filter((h) => h !== 'x-amz-content-sha256').map((h) => [h, ([] as string[]).concat(req.headers[h] ?? '').join(',')]));
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  // The payload hash is worked out again from the body: the header alone proves nothing.
  const signer = new SignatureV4({ credentials: TEST_CREDENTIALS, region: TEST_REGION, service: signingService, sha256: Sha256, applyChecksum: names.includes('x-amz-content-sha256') });
  const signed = await signer.sign(
    { method: req.method ?? 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body },
    { signingDate, signableHeaders: new Set(names) },
  );
  return signed.headers.authorization === auth ? undefined : 'The request signature we calculated does not match the signature you provided';
}

const xml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Answers a request. The API's Date is the service's (virtual) clock, which the CLI reads for
 * "time at this step"; AWS services answer with the wall clock, as the SDK corrects its signing
 * clock by their Date.
 */
function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, virtualDate = false): void {
  res.writeHead(status, { 'Content-Type': 'application/json', Date: new Date(virtualDate ? service.world.now() : wallClockNow()).toUTCString(), ...headers });
  res.end(body);
}

/** A query-protocol (CloudFormation) error, in its XML. */
function queryError(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`, { 'Content-Type': 'text/xml' });
}

/** API Gateway's REST proxy event for a request under the stage, with the resource it matches. */
function proxyEvent(req: IncomingMessage, url: URL, body: string): APIGatewayProxyEvent {
  const path = url.pathname.slice(`/${STAGE}`.length) || '/';
  const [, id, verb] = path.split('/').filter(Boolean);
  const resource = id === undefined ? path : verb === undefined ? '/rollouts/{id}' : `/rollouts/{id}/${verb}`;
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, ([] as string[]).concat(v ?? '').join(',')]));
  const query = Object.fromEntries(url.searchParams);
  const requestId = globalThis.crypto.randomUUID();
  return {
    resource,
    path,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: id !== undefined ? { id: decodeURIComponent(id) } : null,
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      stage: STAGE,
      requestId,
      requestTimeEpoch: service.world.now(),
      resourceId: 'local',
      resourcePath: resource,
      identity: { accessKey: TEST_CREDENTIALS.accessKeyId, accountId: '123456789012', caller: 'AIDALOCAL', user: 'AIDALOCAL', userArn: CALLER_ARN, userAgent: headers['user-agent'] ?? '', sourceIp: '127.0.0.1' },
    },
  } as unknown as APIGatewayProxyEvent;
}

/** CloudFormation DescribeStacks (query protocol, XML answer): the stack's outputs under their stable keys. */
function describeStacks(res: ServerResponse, form: URLSearchParams): void {
  if (form.get('StackName') !== TEST_STACK) return queryError(res, 400, 'ValidationError', `Stack with id ${form.get('StackName') ?? ''} does not exist`);
  const outputs = {
    [STACK_OUTPUTS.apiUrl]: `http://127.0.0.1:${port}/${STAGE}/`,
    [STACK_OUTPUTS.stateMachineArn]: STATE_MACHINE_ARN,
  };
  const members = Object.entries(outputs).map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${xml(v)}</OutputValue></member>`).join('');
  send(
    res,
    200,
    `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
      `<StackName>${TEST_STACK}</StackName><StackId>arn:aws:cloudformation:${TEST_REGION}:123456789012:stack/${TEST_STACK}/1</StackId>` +
      `<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs>` +
      `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    { 'Content-Type': 'text/xml' },
  );
}

const epochSeconds = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) / 1000);

/** Step Functions DescribeExecution (JSON 1.0). */
async function describeExecution(res: ServerResponse, input: { executionArn?: string }): Promise<void> {
  try {
    const e = await service.workflow.describe(input.executionArn ?? '');
    send(res, 200, JSON.stringify({ executionArn: e.executionArn, stateMachineArn: STATE_MACHINE_ARN, name: e.name, status: e.status, startDate: epochSeconds(e.startedAt), stopDate: epochSeconds(e.stoppedAt), error: e.error, cause: e.cause }), { 'Content-Type': 'application/x-amz-json-1.0' });
  } catch {
    send(res, 400, JSON.stringify({ __type: 'ExecutionDoesNotExist', message: `Execution Does Not Exist: '${input.executionArn}'` }), { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'ExecutionDoesNotExist;Sender' });
  }
}

interface WireQuery {
  Id: string;
  MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] }; Period: number; Stat: string };
}

/** CloudWatch GetMetricData (JSON 1.0), answered from the world's CloudWatch. */
async function getMetricData(res: ServerResponse, input: { MetricDataQueries: WireQuery[]; StartTime: number; EndTime: number }): Promise<void> {
  const series = await service.world.cloudwatch.getMetricData({
    startTime: input.StartTime * 1000,
    endTime: input.EndTime * 1000,
    queries: input.MetricDataQueries.map((q) => ({
      id: q.Id,
      namespace: q.MetricStat.Metric.Namespace,
      metricName: q.MetricStat.Metric.MetricName,
      dimensions: Object.fromEntries((q.MetricStat.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value])),
      stat: q.MetricStat.Stat,
      periodSeconds: q.MetricStat.Period,
    })),
  });
  const results = series.map((s) => ({ Id: s.id, Label: s.id, Timestamps: s.timestamps.map((t) => t / 1000), Values: s.values, StatusCode: 'Complete' }));
  send(res, 200, JSON.stringify({ MetricDataResults: results, Messages: [] }), { 'Content-Type': 'application/x-amz-json-1.0' });
}

/** The set-up and inspection routes of the test. */
async function testRoute(res: ServerResponse, url: URL, body: string): Promise<void> {
  if (url.pathname === '/__test/world') {
    for (const e of service.workflow.executions.values()) e.stop.abort();
    await service.settled();
    service = await LocalService.create(JSON.parse(body || '{}') as WorldSettings);
    send(res, 200, '{}');
  } else if (url.pathname === '/__test/upload') {
    const { key, versionId } = JSON.parse(body) as { key: string; versionId: string };
    send(res, 200, JSON.stringify(await service.upload(key, versionId)));
  } else if (url.pathname === '/__test/state') {
    send(res, 200, JSON.stringify(await service.state()));
  } else {
    send(res, 404, '{}');
  }
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  if (url.pathname.startsWith('/__test/')) return testRoute(res, url, body);

  const target = String(req.headers['x-amz-target'] ?? '');
  const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : undefined;
  const signing = url.pathname.startsWith(`/${STAGE}/`) ? 'execute-api' : target.startsWith('AWSStepFunctions.') ? 'states' : target.startsWith('GraniteServiceVersion20100801.') ? 'monitoring' : form ? 'cloudformation' : undefined;
  if (!signing) return send(res, 404, JSON.stringify({ message: `nothing here: ${req.method} ${url.pathname}` }));
  const problem = await signatureProblem(req, body, signing);
  if (problem) {
    if (signing === 'cloudformation') return queryError(res, 403, 'SignatureDoesNotMatch', problem);
    return send(res, 403, JSON.stringify({ message: problem, __type: 'UnrecognizedClientException' }), signing === 'execute-api' ? {} : { 'x-amzn-errortype': 'UnrecognizedClientException' });
  }
  if (signing === 'execute-api') {
    const answer = await service.handle(proxyEvent(req, url, body));
    return send(res, answer.statusCode, answer.body, Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k, String(v)])), true);
  }
  if (signing === 'cloudformation' && form?.get('Action') === 'DescribeStacks') return describeStacks(res, form);
  if (target === 'AWSStepFunctions.DescribeExecution') return describeExecution(res, JSON.parse(body));
  if (target === 'GraniteServiceVersion20100801.GetMetricData') return getMetricData(res, JSON.parse(body));
  send(res, 400, JSON.stringify({ __type: 'UnknownOperationException', message: `${target || form?.get('Action')} is not served here` }));
}

const server = createServer((req, res) => {
  route(req, res).catch((error: unknown) => {
    process.stderr.write(`local service: ${(error as Error).stack ?? String(error)}\n`);
    if (!res.headersSent) send(res, 500, JSON.stringify({ message: String(error) }));
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`listening ${port}\n`);
});
