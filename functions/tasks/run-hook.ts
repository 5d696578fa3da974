/**
 * RunHook: a lifecycle hook's two moments in the workflow. `run` is called by a `.waitForTaskToken`
 * state with the task token: it invokes the hook with its event (`core/hook-events.ts`) and, when
 * the hook answers at once, passes the answer to the token itself; a hook that answers Pending keeps
 * the token and calls SendTaskSuccess / SendTaskFailure later. `failed` is called after the hook's
 * state failed (it answered Failed, gave no answer in time, or could not be run) and returns the
 * state as core says a failure of that hook leaves it.
 */
import { ErrorName } from '../core/errors.js';
import { afterHookFailure, hookEvent, hookOf } from '../core/hook-events.js';
import { type HookKind, hookTarget, readHookAnswer } from '../core/hooks.js';
import { asRolloutState, type CaughtError, type RolloutState } from '../core/state.js';
import type { Clock, Invoker, TaskTokens } from '../ports.js';
import { logger } from '../logger.js';

export type RunHookEvent =
  | { readonly action: 'run'; readonly hook: HookKind; readonly token: string; readonly state: unknown }
  | { readonly action: 'failed'; readonly hook: HookKind; readonly failure: CaughtError; readonly state: unknown };

export interface RunHookPorts {
  readonly invoker: Invoker;
  readonly tokens: TaskTokens;
  readonly clock: Clock;
}

/** What `run` did, for the logs (the workflow reads the token's answer, not this). */
export interface HookRun {
  readonly hook: HookKind;
  readonly function: string;
  readonly answer: 'Succeeded' | 'Failed' | 'Pending';
}

/** RunHook over its ports. */
export function makeRunHook({ invoker, tokens, clock }: RunHookPorts) {
  async function run(kind: HookKind, token: string, state: RolloutState): Promise<HookRun> {
    const spec = hookOf(state, kind);
    const { functionName, qualifier } = hookTarget(spec.function);
    const answer = readHookAnswer(await invoker.invoke(functionName, qualifier, hookEvent(kind, state, token, clock.now())));
    logger.info('hook answered', { hook: kind, function: spec.function, answer });
    if (answer.status === 'Succeeded') await tokens.succeed(token, { hook: kind, function: spec.function, status: 'Succeeded', at: new Date(clock.now()).toISOString() });
    if (answer.status === 'Failed') await tokens.fail(token, ErrorName.HookFailed, answer.reason);
    return { hook: kind, function: spec.function, answer: answer.status };
  }

  return async function runHook(event: RunHookEvent): Promise<HookRun | RolloutState> {
    const state = asRolloutState(event.state);
    if (event.action === 'run') return run(event.hook, event.token, state);
    const { hookFailure: _caught, ...rest } = state as RolloutState & { hookFailure?: unknown };
    return afterHookFailure(event.hook, rest, event.failure, clock.now());
  };
}
