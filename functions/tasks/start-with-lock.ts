/**
 * How the API starts a rollout: the alias's lock first (pending), then StartExecution, and the lock
 * given back when the start fails, so that a failed start never holds an alias and a second start
 * is refused before anything runs.
 */
import { NotFoundError } from '../core/errors.js';
import type { ParsedInput } from '../core/input.js';
import { LockHeldError, RolloutIdTakenError, type RolloutFacts } from '../core/registry.js';
import type { Clock, RolloutRegistry, Workflow } from '../ports.js';
import { logger } from '../logger.js';

/** How old a pending lock must be before a start checks whether its execution ever started. */
export const STALE_PENDING_MS = 2 * 60 * 1000;

export interface StartPorts {
  readonly registry: Pick<RolloutRegistry, 'acquire' | 'release' | 'finish'>;
  readonly workflow: Pick<Workflow, 'start' | 'describe'>;
  readonly clock: Clock;
}

export interface LockedStart {
  /** The execution's name; `facts.executionArn` is the ARN it gets. */
  readonly name: string;
  readonly facts: RolloutFacts;
  /** The IAM caller's ARN, kept on the lock and the record. */
  readonly startedBy: string;
  /** The execution's input. */
  readonly input: unknown;
}

/** The facts of a rollout about to start from a parsed input, under its id and execution. */
export function startFacts(parsed: ParsedInput, rolloutId: string, executionArn: string, now: number): RolloutFacts {
  const { input } = parsed;
  return {
    rolloutId,
    executionArn,
    functionName: input.functionName,
    alias: input.alias,
    targetVersion: input.targetVersion,
    strategy: parsed.plan.strategy,
    startedAt: new Date(now).toISOString(),
  };
}

/**
 * Takes the alias's lock for the rollout (pending) and starts its execution. A pending lock whose
 * execution never came to exist (a start that died between the two) is cleared once stale. When
 * taking the lock fails for another reason, or StartExecution fails, the lock is given back and
 * the record ended as failed (compensation), and the error is thrown on.
 *
 * Throws LockHeldError when another rollout holds the alias and RolloutIdTakenError when the
 * rollout id is used (nothing was changed), or the error that stopped the start.
 */
export async function startWithLock(ports: StartPorts, start: LockedStart): Promise<{ executionArn: string }> {
  const { registry, workflow, clock } = ports;
  const { facts } = start;
  const iso = () => new Date(clock.now()).toISOString();
  const lock = { functionName: facts.functionName, alias: facts.alias, rolloutId: facts.rolloutId, executionArn: facts.executionArn };

  /**
   * A pending lock whose execution never started would hold its alias forever. Past
   * `STALE_PENDING_MS`, with Step Functions confirming there is no such execution, it is released
   * and its record ended as failed.
   */
  async function clearedStalePending(error: LockHeldError): Promise<boolean> {
    const { holder } = error;
    if (holder.status !== 'pending' || clock.now() - Date.parse(holder.startedAt) < STALE_PENDING_MS) return false;
    try {
      await workflow.describe(holder.executionArn);
      return false;
    } catch (e) {
      if (!(e instanceof NotFoundError)) return false;
    }
    logger.warn('releasing a pending lock whose execution never started', { holder });
    await registry.finish({ ...holder, status: 'failed', reason: 'the execution never started', endedAt: iso() });
    return registry.release(holder);
  }

  const acquire = () => registry.acquire({ ...facts, status: 'pending', startedBy: start.startedBy, at: facts.startedAt });
  try {
    try {
      await acquire();
    } catch (error) {
      if (!(error instanceof LockHeldError) || !(await clearedStalePending(error))) throw error;
      await acquire();
    }
  } catch (error) {
    // A refusal wrote nothing. Any other failure may have come after the write landed (a lost
    // answer): give back a lock nothing will use, and end its record (the transaction wrote both or neither).
    if (error instanceof LockHeldError || error instanceof RolloutIdTakenError) throw error;
    try {
      if (await registry.release(lock)) await registry.finish({ ...facts, status: 'failed', reason: 'not started: taking the lock failed', endedAt: iso() });
    } catch (compensation) {
      logger.error('could not release a lock after a failed acquire', { rolloutId: facts.rolloutId, error: compensation as Error });
    }
    throw error;
  }

  let started: { executionArn: string };
  try {
    started = await workflow.start(start.name, start.input);
  } catch (error) {
    // Nothing runs for this lock: give the alias back. Should the execution have started after
    // all (a lost answer), its AcquireLock finds the record ended and refuses, changing nothing.
    const why = `StartExecution failed: ${error instanceof Error ? error.message : String(error)}`;
    try {
      await registry.finish({ ...facts, status: 'failed', reason: why, endedAt: iso() });
      await registry.release(lock);
    } catch (compensation) {
      logger.error('could not release the pending lock after StartExecution failed', { rolloutId: facts.rolloutId, error: compensation as Error });
    }
    throw error;
  }
  if (started.executionArn !== facts.executionArn) {
    logger.warn('the execution ARN differs from the one derived from its name', { expected: facts.executionArn, actual: started.executionArn });
  }
  return { executionArn: started.executionArn };
}
