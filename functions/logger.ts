/**
 * The structured logger every function shares (Powertools, JSON lines in CloudWatch Logs), and what
 * the shared middy stack (`handlers/middleware.ts`) adds to every line: the rollout a task works on,
 * and a level for each kind of failure.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ErrorName, isRefusal, TRANSIENT_ERRORS } from './core/errors.js';
import { functionNameOf } from './core/function-ref.js';

export const logger = new Logger({ serviceName: 'lambda-rollout' });

/** The rollout a log line is about, under the key `rollout`: each field as far as the event tells it. */
export interface RolloutLogKeys {
  readonly id?: string;
  /** The bare function name. */
  readonly functionName?: string;
  readonly alias?: string;
  /** The plan step the rollout is on, 1-based (0 before the first shift). */
  readonly step?: number;
  readonly executionArn?: string;
}

type Fields = Record<string, unknown>;
const fields = (value: unknown): Fields | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined);
// Identifiers are short; anything longer is not one, and is not copied onto every line.
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined);
const first = <T>(...values: (T | undefined)[]): T | undefined => values.find((v) => v !== undefined);

/**
 * The rollout an event is about, read cheaply and without trusting its shape: a rollout state
 * (every task of a running rollout), Notify's `{ event, state }` and `{ ending, input }`, Prepare's
 * `{ input, execution }`, a rollout input or a release request, the guard's execution status change,
 * an API request for one rollout, a hook's event (RunHook's, and the one a hook function receives). Undefined when the event names none; never throws.
 *
 * @example rolloutLogKeys({ input: { functionName: 'orders', alias: 'live' }, execution: { id: 'arn:...:execution:sm:r1', name: 'r1' } }) // { functionName: 'orders', alias: 'live', executionArn: 'arn:...:execution:sm:r1' }
 */
export function rolloutLogKeys(event: unknown): RolloutLogKeys | undefined {
  const e = fields(event);
  if (!e) return undefined;
  const state = fields(e.state) ?? fields(e.ending) ?? e;
  const rollout = fields(state.rollout);
  const input = fields(e.input);
  const step = fields(state.cursor)?.step;
  const functionName = first(text(rollout?.functionName), text(e.functionName), text(e['function-name']), text(input?.functionName), text(input?.['function-name']));
  const keys: RolloutLogKeys = {
    id: first(text(rollout?.id), text(e.rolloutId), text(input?.rolloutId), text(fields(e.pathParameters)?.id)),
    functionName: functionName === undefined ? undefined : functionNameOf(functionName),
    alias: first(text(rollout?.alias), text(e.alias), text(e['alias-name']), text(input?.alias), text(input?.['alias-name'])),
    step: typeof step === 'number' && Number.isInteger(step) ? step + 1 : undefined,
    executionArn: first(text(rollout?.executionArn), text(e.executionArn), text(fields(e.execution)?.id), text(fields(e.detail)?.executionArn)),
  };
  const known = Object.entries(keys).filter(([, value]) => value !== undefined);
  return known.length > 0 ? (Object.fromEntries(known) as RolloutLogKeys) : undefined;
}

/**
 * The level a task's failure is logged at: a refusal is an answer, not a fault (info); an error the
 * workflow retries, or the alias changed by someone else, is expected now and then (warn); anything
 * else is the service failing (error).
 *
 * @example failureLevel('RolloutRefused') // 'info'
 */
export function failureLevel(errorName: string | undefined): 'info' | 'warn' | 'error' {
  if (isRefusal(errorName)) return 'info';
  if (TRANSIENT_ERRORS.includes(errorName ?? '') || errorName === ErrorName.Drift) return 'warn';
  return 'error';
}
