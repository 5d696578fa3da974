/**
 * The artifact trigger on Lambda. Its settings come from the environment the construct sets, read
 * on the first event, so that importing this module (tests, the bundler) needs no environment.
 */
import { artifactReader, lambdaControl, topicNotifier, workflow } from '../aws/index.js';
import { parseAllowedFunctions, prefixProblem } from '../core/artifact.js';
import { homeOf } from '../core/scope.js';
import { ENV } from '../names.js';
import { systemClock } from '../ports.js';
import { makeArtifactTrigger, type ObjectCreatedEvent, type TriggerConfig } from '../tasks/artifact-trigger.js';
import { lambdaHandler } from './middleware.js';

/** Reads the trigger's settings from the environment; throws naming the variable when one is missing or wrong. */
export function triggerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TriggerConfig & { readonly stateMachineArn: string } {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set: the artifact trigger needs it (the LambdaRollout construct sets it)`);
    return value;
  };
  const prefix = env[ENV.artifactsPrefix] ?? '';
  const problem = prefixProblem(prefix);
  if (problem) throw new Error(`${ENV.artifactsPrefix}: ${problem}`);
  const stateMachineArn = required(ENV.stateMachineArn);
  const home = homeOf(stateMachineArn);
  if (!home) throw new Error(`${ENV.stateMachineArn} is not an ARN: ${JSON.stringify(stateMachineArn)}`);
  return { stateMachineArn, home, bucket: required(ENV.artifactsBucket), prefix, allowedFunctions: parseAllowedFunctions(required(ENV.allowedFunctions)) };
}

function awsTrigger() {
  const config = triggerConfigFromEnv();
  return makeArtifactTrigger({
    lambda: lambdaControl(),
    artifacts: artifactReader(),
    starter: workflow({ [ENV.stateMachineArn]: config.stateMachineArn }),
    notifier: topicNotifier(),
    clock: systemClock,
    config,
  });
}

let trigger: ReturnType<typeof makeArtifactTrigger> | undefined;
export const handler = lambdaHandler((event: ObjectCreatedEvent) => (trigger ??= awsTrigger())(event));
