/**
 * Continue: keeps a long rollout within Step Functions' 25,000-event history
 * (`core/continuation.ts`). One task function, two actions:
 * - `continue`, in the execution whose history is nearly full: starts the rollout's next execution
 *   of the same state machine with the rollout's state, under a name that is the same on every
 *   retry, and returns what the old execution's output says (`ContinuedInNewExecution`);
 * - `resume`, first thing in the new execution: takes over the alias's lock and the rollout's
 *   record from the execution it continues, both at once, and returns the state to resume with; or
 *   `{ refusal }`, changing nothing, for an input that is no continuation of this state machine or
 *   names a function outside the allowed ones (`continuationRefusal`), or when the execution it
 *   claims to continue does not hold the lock (the rollout ended or was aborted meanwhile, or the
 *   input did not come from the workflow). Only a registry that keeps failing is thrown.
 */
import {
  continuationInput,
  continuationName,
  continuationRefusal,
  continuedIn,
  type ContinuedIn,
  type ContinuedState,
  resumedState,
  resumeRefusal,
} from '../core/continuation.js';
import { asRolloutState, type CaughtError } from '../core/state.js';
import type { Clock, RolloutRegistry, Workflow } from '../ports.js';

export type ContinueEvent =
  | {
      readonly action: 'continue';
      readonly state: unknown;
      readonly execution: { readonly id: string; readonly name: string };
      /** The state machine running the rollout (`$$.StateMachine.Id`): its next execution is of the same one. */
      readonly stateMachineArn: string;
    }
  | { readonly action: 'resume'; readonly state: unknown; readonly execution: { readonly id: string } };

export interface ContinuePorts {
  readonly registry: Pick<RolloutRegistry, 'handOver' | 'getLock'>;
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
    try {
      const { executionArn } = await workflow.start(name, input);
      return continuedIn(state, executionArn, name);
    } catch (error) {
      // A lost answer: if the execution exists, it started, and it takes the lock over from this one.
      const executionArn = workflow.executionArnFor(name);
      const started = await workflow.describe(executionArn).then(
        () => true,
        () => false,
      );
      if (!started) throw error;
      return continuedIn(state, executionArn, name);
    }
  }

  async function resume(event: Extract<ContinueEvent, { action: 'resume' }>): Promise<ResumeResult> {
    const invalid = continuationRefusal(event.state, event.execution.id, allowedFunctions);
    if (invalid) return { refusal: invalid };
    const state = event.state as ContinuedState;
    const { rollout } = state;
    const resumed = resumedState(state, event.execution.id);
    const moved = await registry.handOver({
      functionName: rollout.functionName,
      alias: rollout.alias,
      rolloutId: rollout.id,
      from: state.continuation.from,
      to: event.execution.id,
      at: new Date(clock.now()).toISOString(),
    });
    if (moved) return resumed;
    return { refusal: resumeRefusal(state, await registry.getLock(rollout.functionName, rollout.alias)) };
  }

  return async function continueRollout(event: ContinueEvent): Promise<ContinuedIn | ResumeResult> {
    return event.action === 'continue' ? continueIn(event) : resume(event);
  };
}
