/**
 * Every AWS SDK client lambda-rollout makes is made here: one per service and process, all with
 * the same settings, each traced (an X-Ray subsegment per call, under the handler's segment). Each
 * getter imports only its own client package, so a function's bundle carries the clients it uses
 * and no other. Constructing a client reads no credentials and opens no connection.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../tracer.js';

/**
 * The SDK's standard retry mode, 3 attempts in all, whatever the environment says. The state
 * machine retries the task on top of that, so the SDK only smooths over brief blips.
 */
export const CLIENT_CONFIG = { retryMode: 'standard', maxAttempts: 3 } as const;

const made = new Map<unknown, unknown>();

function shared<C>(Client: new (config: typeof CLIENT_CONFIG) => C): C {
  let client = made.get(Client) as C | undefined;
  if (!client) {
    client = tracer.captureAWSv3Client(new Client({ ...CLIENT_CONFIG }));
    made.set(Client, client);
  }
  return client;
}

export const lambdaClient = (): LambdaClient => shared(LambdaClient);
export const cloudWatchClient = (): CloudWatchClient => shared(CloudWatchClient);
export const snsClient = (): SNSClient => shared(SNSClient);
export const sfnClient = (): SFNClient => shared(SFNClient);
export const eventBridgeClient = (): EventBridgeClient => shared(EventBridgeClient);
export const s3Client = (): S3Client => shared(S3Client);

let documents: DynamoDBDocumentClient | undefined;
/**
 * The DynamoDB document client; it drops undefined attributes, as the registry writes optional fields.
 * It shares the traced client's middleware stack, so its calls are traced too.
 */
export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(shared(DynamoDBClient), { marshallOptions: { removeUndefinedValues: true } });
  return documents;
}
