/**
 * Continue: keeps a long rollout within Step Functions' 25,000-event history
 * (`core/continuation.ts`). One task function, two actions:
 * - `continue`, in the execution whose history is nearly full: records on the alias's lock (still
 *   held by this execution) the hand-off, the ARN of the next execution and the digest of its
 *   input; then starts that execution of the same state machine with the rollout's state, under a
 *   name that is the same on every retry (so are the input and its digest), and returns what the
 *   old execution's output says (`ContinuedInNewExecution`). A lock this execution no longer
 *   holds throws a `RefusedError`, starting nothing; so does a name an execution with another
 *   input took first (the workflow's Catch bakes on and tries again at the next check);
 * - `resume`, first thing in the new execution: takes over the alias's lock and the rollout's
 *   record from the execution it continues, both at once, and returns the state to resume with; or
 *   `{ refusal }`, changing nothing, for an input that is no continuation of this state machine or
 *   names a function outside the allowed ones (`continuationRefusal`), or when the execution it
 *   claims to continue does not hold the lock or did not hand over to this execution (its own ARN,
 *   which nobody can choose) with this very input (its digest): the rollout ended or was aborted
 *   meanwhile, or the input did not come from the workflow. Only a registry that keeps failing is thrown.
 */
import {
  continuationDigest,
  continuationInput,
  continuationName,
  continuationRefusal,
  continuedIn,
  predecessorRefusal,
  type ContinuedIn,
  type ContinuedState,
  resumedState,
  resumeRefusal,
} from '../core/continuation.js';
import { NotFoundError, RefusedError } from '../core/errors.js';
import { aliasKey } from '../core/registry.js';
import { asRolloutState, type CaughtError } from '../core/state.js';
import type { Clock, ExecutionInfo, RolloutRegistry, Workflow } from '../ports.js';
import { sha256Hex } from '../sha256.js';

export type ContinueEvent =
  | {
      readonly action: 'continue';
      readonly state: unknown;
      readonly execution: { readonly id: string; readonly name: string };
      /** The state machine running the rollout (`$$.StateMachine.Id`): its next execution is of the same one. */
      readonly stateMachineArn: string;
    }
  | {
      readonly action: 'resume';
      readonly state: unknown;
      readonly execution: { readonly id: string };
      /** The state machine running the rollout (`$$.StateMachine.Id`): the execution it continues is one of its. */
      readonly stateMachineArn: string;
    };

export interface ContinuePorts {
  readonly registry: Pick<RolloutRegistry, 'recordHandOff' | 'handOver' | 'getLock'>;
  /** The rollout state machine of the given ARN. */
  readonly workflowOf: (stateMachineArn: string) => Pick<Workflow, 'start' | 'describe' | 'executionArnFor'>;
  readonly clock: Clock;
  /** The construct's allowedFunctions; the function must also be where the execution runs. */
  readonly allowedFunctions: readonly string[];
}

export type ResumeResult = ContinuedState | { readonly refusal: CaughtError };

/** Continue over its ports. */
export function makeContinue({ registry, workflowOf, clock, allowedFunctions }: ContinuePorts) {
  async function continueIn(event: Extract<ContinueEvent, { action: 'continue' }>): Promise<ContinuedIn> {
    const state = asRolloutState(event.state);
    const input = continuationInput(state, event.execution.id);
    const name = continuationName(event.execution.name, input.continuation.number);
    const workflow = workflowOf(event.stateMachineArn);
    const handOff = { to: workflow.executionArnFor(name), digest: continuationDigest(input, sha256Hex) };
    const { functionName, alias, id: rolloutId } = state.rollout;
    const at = new Date(clock.now()).toISOString();
    if (!(await registry.recordHandOff({ functionName, alias, rolloutId, executionArn: event.execution.id, handOff, at }))) {
      throw new RefusedError(`rollout ${rolloutId} cannot continue in ${handOff.to}: execution ${event.execution.id} no longer holds the lock of ${aliasKey(functionName, alias)}`);
    }
    let existing: ExecutionInfo | undefined;
    try {
      const started = await workflow.start(name, input);
      if (started.alreadyStarted) existing = await workflow.describe(handOff.to);
    } catch (error) {
      // A lost answer: if the execution exists, it started (and is checked like any earlier start).
      existing = await workflow.describe(handOff.to).catch(() => {
        throw error;
      });
    }
    // The name was taken before this execution's start (a forged continuation): that execution will
    // be refused; this one must not end as if it had handed over. It bakes on and tries again.
    if (existing && continuationDigest(existing.input, sha256Hex) !== handOff.digest) {
      throw new RefusedError(`rollout ${rolloutId} cannot continue in ${handOff.to}: an execution of that name was started with another input`);
    }
    return continuedIn(state, handOff.to, name);
  }

  async function resume(event: Extract<ContinueEvent, { action: 'resume' }>): Promise<ResumeResult> {
    const invalid = continuationRefusal(event.state, event.execution.id, allowedFunctions);
    if (invalid) return { refusal: invalid };
    const state = event.state as ContinuedState;
    const { rollout } = state;
    const handing = await workflowOf(event.stateMachineArn)
      .describe(state.continuation.from)
      .catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
    const stopped = predecessorRefusal(state, handing?.status);
    if (stopped) return { refusal: stopped };
    const resumed = resumedState(state, event.execution.id);
    const claim = { to: event.execution.id, digest: continuationDigest(event.state, sha256Hex) };
    const moved = await registry.handOver({
      functionName: rollout.functionName,
      alias: rollout.alias,
      rolloutId: rollout.id,
      from: state.continuation.from,
      ...claim,
      at: new Date(clock.now()).toISOString(),
    });
    if (moved) return resumed;
    return { refusal: resumeRefusal(state, await registry.getLock(rollout.functionName, rollout.alias), claim) };
  }

  return async function continueRollout(event: ContinueEvent): Promise<ContinuedIn | ResumeResult> {
    return event.action === 'continue' ? continueIn(event) : resume(event);
  };
}
