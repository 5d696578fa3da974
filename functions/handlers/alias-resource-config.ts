/**
 * The `Custom::LambdaRollout` provider on AWS, shared by its two handlers: its settings from the
 * environment the `LambdaRollout` construct sets, and the real adapters, made on the first event.
 */
import { lambdaControl, rolloutRegistry, workflow } from '../aws/index.js';
import { parseAllowedFunctions } from '../core/artifact.js';
import { ENV } from '../names.js';
import { systemClock } from '../ports.js';
import { type AliasResourceConfig, makeAliasResource } from '../tasks/alias-resource.js';

/** Reads the provider's settings; throws naming the variable when one is missing or wrong. */
export function aliasResourceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AliasResourceConfig {
  const allowedFunctions = parseAllowedFunctions(env[ENV.allowedFunctions]);
  if (allowedFunctions.length === 0) throw new Error(`${ENV.allowedFunctions} is not set: the Custom::LambdaRollout provider needs it (the LambdaRollout construct sets it)`);
  const waitSeconds = Number(env[ENV.deployWaitSeconds]);
  if (!(Number.isInteger(waitSeconds) && waitSeconds > 0)) {
    throw new Error(`${ENV.deployWaitSeconds} must be a whole number of seconds above 0 (the LambdaRollout construct sets it); received ${JSON.stringify(env[ENV.deployWaitSeconds])}`);
  }
  return { allowedFunctions, waitSeconds };
}

let provider: ReturnType<typeof makeAliasResource> | undefined;

/** The provider over the real adapters, made once per process. */
export function awsAliasResource(): ReturnType<typeof makeAliasResource> {
  provider ??= makeAliasResource({ lambda: lambdaControl(), registry: rolloutRegistry(), workflow: workflow(), clock: systemClock }, aliasResourceConfigFromEnv());
  return provider;
}
