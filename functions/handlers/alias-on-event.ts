/**
 * The `Custom::LambdaRollout` provider's onEvent on Lambda: CloudFormation's first call for each
 * request of a `ProgressiveAlias` (or a template's `Custom::LambdaRollout`).
 */
import type { AliasResourceEvent } from '../tasks/alias-resource.js';
import { awsAliasResource } from './alias-resource-config.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler((event: AliasResourceEvent) => awsAliasResource().onEvent(event));
