/**
 * The `Custom::LambdaRollout` provider's isComplete on Lambda: polled by the CDK provider framework
 * until the request is done (the alias wholly on the version) or has failed (the rollout rolled
 * back, was refused or was stopped).
 */
import type { IsCompleteEvent } from '../tasks/alias-resource.js';
import { awsAliasResource } from './alias-resource-config.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler((event: IsCompleteEvent) => awsAliasResource().isComplete(event));
