/**
 * The rollout API: a regional REST API, every method behind AWS_IAM (SigV4) authorization, request
 * validation, access logs, X-Ray tracing and stage throttling, all routes proxied to one function.
 *
 *     POST /rollouts              start a rollout (body checked against RolloutRequest)
 *     GET  /rollouts              list rollouts (?functionName, alias, status, limit, nextToken)
 *     GET  /rollouts/{id}         one rollout
 *     POST /rollouts/{id}/abort   abort a rollout (body { reason })
 *     POST /rollouts/{id}/approve | reject | pause | resume | promote   a person's control (small JSON bodies)
 *     POST /rollouts/{id}/retry   start a rolled-back, failed, aborted or timed-out rollout again
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

export interface RolloutApiProps {
  readonly handler: IFunction;
  /** Steady-state requests per second for the whole stage. */
  readonly rateLimitPerSecond: number;
  /** Burst of requests for the whole stage. */
  readonly burstLimit: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The body model of `POST /rollouts`: deliberately loose. API Gateway answers a schema failure with a
 * bare "Invalid request body"; the API function names the field and the rule (architecture invariant 7),
 * so the gateway only refuses what is not a rollout request at all: not a JSON object, or no function
 * and alias (in our format or aws-lambda-deploy's).
 */
export const ROLLOUT_REQUEST_SCHEMA: apigw.JsonSchema = {
  schema: apigw.JsonSchemaVersion.DRAFT4,
  title: 'RolloutRequest',
  type: apigw.JsonSchemaType.OBJECT,
  properties: {
    functionName: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 140 },
    alias: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 128 },
    'function-name': { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 140 },
    'alias-name': { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 128 },
  },
  anyOf: [{ required: ['functionName', 'alias'] }, { required: ['function-name', 'alias-name'] }],
};

/** The `POST /rollouts/{id}/<verb>` routes: abort, a person's control of a running rollout, and retry of one that ended. */
export const ROLLOUT_VERBS = ['abort', 'approve', 'reject', 'pause', 'resume', 'promote', 'retry'] as const;

/** The optional query parameters of `GET /rollouts`. */
export const LIST_QUERY_PARAMETERS = ['functionName', 'alias', 'status', 'limit', 'nextToken'] as const;

export class RolloutApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RolloutApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'lambda-rollout: start, list, inspect, abort, approve, pause, promote and retry rollouts (IAM authorization)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        metricsEnabled: true,
        throttlingRateLimit: props.rateLimitPerSecond,
        throttlingBurstLimit: props.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });
    // The construct's own ApiUrl output replaces the unnamed, undescribed one RestApi adds.
    this.api.node.tryRemoveChild('Endpoint');
    const bodyAndParams = this.api.addRequestValidator('BodyAndParams', { validateRequestBody: true, validateRequestParameters: true });
    const params = this.api.addRequestValidator('Params', { validateRequestBody: false, validateRequestParameters: true });
    const model = this.api.addModel('RolloutRequest', { contentType: 'application/json', modelName: 'RolloutRequest', schema: ROLLOUT_REQUEST_SCHEMA });
    const integration = new apigw.LambdaIntegration(props.handler, { allowTestInvoke: false });

    const rollouts = this.api.root.addResource('rollouts');
    rollouts.addMethod('POST', integration, {
      requestValidator: bodyAndParams,
      requestModels: { 'application/json': model },
      requestParameters: { 'method.request.header.Idempotency-Key': false },
    });
    rollouts.addMethod('GET', integration, {
      requestValidator: params,
      requestParameters: Object.fromEntries(LIST_QUERY_PARAMETERS.map((q) => [`method.request.querystring.${q}`, false])),
    });
    const rollout = rollouts.addResource('{id}');
    rollout.addMethod('GET', integration, { requestValidator: params, requestParameters: { 'method.request.path.id': true } });
    for (const verb of ROLLOUT_VERBS) {
      rollout.addResource(verb).addMethod('POST', integration, { requestValidator: params, requestParameters: { 'method.request.path.id': true } });
    }

    acknowledge(this.api, 'AwsSolutions-APIG3',
      'No AWS WAF web ACL: every method requires SigV4 (AWS_IAM) from principals of this account, and the stage is throttled. Associate a web ACL with the stage if the account standard asks for one.');
    acknowledge(this.api, 'AwsSolutions-APIG6',
      'Execution logging needs the account-wide API Gateway CloudWatch Logs role (AWS::ApiGateway::Account, a per-region singleton this stack must not own); access logs (JSON, every request with the caller) and X-Ray tracing are on.');
    acknowledge(this.api, 'AwsSolutions-COG4',
      'Authorization is AWS_IAM (SigV4) on every method, not a Cognito user pool: callers are operators and pipelines with IAM identities, and IAM policies decide who may start or abort rollouts.');
  }

  /** The stage URL, ending in `/`. */
  get url(): string {
    return this.api.url;
  }
}
