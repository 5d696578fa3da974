/**
 * The functions rollouts may touch, from the environment the construct sets: its allowedFunctions
 * (`ROLLOUT_ALLOWED_FUNCTIONS`), its allowedHooks (`ROLLOUT_ALLOWED_HOOKS`) and, where the
 * service's home is not in the event, the state machine's ARN. Read on the first event, so that
 * importing a handler needs no environment.
 */
import { type FunctionScope, homeOf, parseAllowedFunctions } from '../core/scope.js';
import { ENV } from '../names.js';

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string, who: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: ${who} needs it (the LambdaRollout construct sets it)`);
  return value;
}

/** The allow-list; throws naming the variable when it is missing. */
export function allowedFunctionsFromEnv(who: string, env: Env = process.env): string[] {
  return parseAllowedFunctions(required(env, ENV.allowedFunctions, who));
}

/** The hooks rollouts may invoke; none when the variable is unset or empty (the construct allows no hooks). */
export function allowedHooksFromEnv(env: Env = process.env): string[] {
  return parseAllowedFunctions(env[ENV.allowedHooks]);
}

/** The allow-lists and the home of the state machine; throws naming the variable when one is missing or wrong. */
export function scopeFromEnv(who: string, env: Env = process.env): FunctionScope {
  const stateMachineArn = required(env, ENV.stateMachineArn, who);
  const home = homeOf(stateMachineArn);
  if (!home) throw new Error(`${ENV.stateMachineArn} is not an ARN: ${JSON.stringify(stateMachineArn)}`);
  return { allowedFunctions: allowedFunctionsFromEnv(who, env), allowedHooks: allowedHooksFromEnv(env), home };
}
