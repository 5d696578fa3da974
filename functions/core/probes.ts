/** Synthetic probes: when a step sends them, what counts as a good answer from a directly invoked version, and what the answers add up to. */
import type { ProbeEvidence, ProbePolicy } from './health.js';
import type { RolloutState } from './state.js';

export interface ProbeAnswer {
  readonly statusCode: number;
  readonly functionError?: string | undefined;
  readonly payload: string;
}

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined), value);
}

/**
 * Whether a probe's answer passes: no FunctionError, a 2xx invoke status, and the expected
 * field value when the policy names one. Returns the failure in words otherwise.
 *
 * @example judgeProbeAnswer({ statusCode: 200, payload: '{"statusCode":500}' }, { field: 'statusCode', equals: 200 })
 * // { ok: false, failure: 'statusCode was 500, expected 200' }
 */
export function judgeProbeAnswer(answer: ProbeAnswer, expect: ProbePolicy['expect']): { ok: boolean; failure?: string } {
  const snippet = answer.payload.length > 120 ? `${answer.payload.slice(0, 117)}...` : answer.payload;
  if (answer.functionError) return { ok: false, failure: `function error (${answer.functionError}): ${snippet}` };
  if (answer.statusCode < 200 || answer.statusCode > 299) return { ok: false, failure: `invoke status ${answer.statusCode}` };
  if (expect.field === undefined) return { ok: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.payload);
  } catch {
    return { ok: false, failure: `response is not JSON: ${snippet}` };
  }
  const actual = at(parsed, expect.field);
  return actual === expect.equals
    ? { ok: true }
    : { ok: false, failure: `${expect.field} was ${JSON.stringify(actual)}, expected ${JSON.stringify(expect.equals)}` };
}

/**
 * The probes to send at this check, if any: once per step, so none when the policy has none or the
 * step's record already holds its probes.
 *
 * @example probesDue(stateWithProbesSent) // undefined
 */
export function probesDue(state: RolloutState): ProbePolicy | undefined {
  const policy = state.rollout.health.probes;
  if (!policy || state.history.at(-1)?.probes) return undefined;
  return policy;
}

/**
 * The probes' evidence from each answer's judgement: how many were sent and passed, and the first failure.
 *
 * @example tallyProbes([{ ok: true }, { ok: false, failure: 'invoke status 500' }]) // { sent: 2, passed: 1, failure: 'invoke status 500' }
 */
export function tallyProbes(judged: readonly { ok: boolean; failure?: string | undefined }[]): ProbeEvidence {
  return { sent: judged.length, passed: judged.filter((j) => j.ok).length, failure: judged.find((j) => !j.ok && j.failure !== undefined)?.failure };
}
