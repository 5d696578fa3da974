/**
 * Synthetic probes: when they are sent (a round before any traffic moves, then at each step),
 * what counts as a good answer from a directly invoked version, what the answers add up to, and
 * the refusal of a target that fails them before it serves anyone.
 */
import { refusal } from './errors.js';
import type { ProbeEvidence, ProbePolicy } from './health.js';
import type { CaughtError, RolloutState } from './state.js';
import { EMPTY_TALLY, withProbes } from './tally.js';

export interface ProbeAnswer {
  readonly statusCode: number;
  readonly functionError?: string | undefined;
  readonly payload: string;
}

/** How much of a probe's answer a failure quotes: an answer may be megabytes, and the failure is carried in the workflow's state. */
const SNIPPET_CHARS = 120;
const snippet = (text: string) => (text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS - 3)}...` : text);

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
  if (answer.functionError) return { ok: false, failure: `function error (${snippet(answer.functionError)}): ${snippet(answer.payload)}` };
  if (answer.statusCode < 200 || answer.statusCode > 299) return { ok: false, failure: `invoke status ${answer.statusCode}` };
  if (expect.field === undefined) return { ok: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.payload);
  } catch {
    return { ok: false, failure: `response is not JSON: ${snippet(answer.payload)}` };
  }
  const actual = at(parsed, expect.field);
  return actual === expect.equals
    ? { ok: true }
    : { ok: false, failure: `${expect.field} was ${snippet(JSON.stringify(actual) ?? 'undefined')}, expected ${snippet(JSON.stringify(expect.equals))}` };
}

/**
 * The probes to send at a check at `now`, if any: a round at the step's first check, then again
 * whenever `everySeconds` have passed since the step's last round; none when the policy has none.
 *
 * @example probesDue(stateWithProbesSent, now) // undefined
 */
export function probesDue(state: RolloutState, now: number): ProbePolicy | undefined {
  const policy = state.rollout.health.probes;
  const sent = state.history.at(-1)?.probes;
  if (!policy) return undefined;
  if (!sent) return policy;
  return policy.everySeconds !== undefined && now - (sent.lastAt ?? 0) >= policy.everySeconds * 1000 ? policy : undefined;
}

/**
 * The state after the round of probes sent before any traffic moved: the probes are tallied,
 * and a target that failed any of them is refused (`RolloutRefused`, the cause naming the
 * failure) while no user request has reached it.
 *
 * @example verifiedState(state, { sent: 3, passed: 0, failure: 'invoke status 500' }).refusal?.Error // 'RolloutRefused'
 */
export function verifiedState(state: RolloutState, probes: ProbeEvidence): RolloutState & { readonly refusal?: CaughtError } {
  const tallied = { ...state, tally: withProbes(state.tally ?? EMPTY_TALLY, probes) };
  if (probes.passed === probes.sent) return tallied;
  const cause = `version ${state.rollout.targetVersion} failed its probes before any traffic moved: ${probes.sent - probes.passed} of ${probes.sent} failed: ${probes.failure ?? 'unexpected response'}`;
  return { ...tallied, refusal: refusal(cause) };
}

/**
 * The probes' evidence from each answer's judgement: how many were sent and passed, and the first failure.
 *
 * @example tallyProbes([{ ok: true }, { ok: false, failure: 'invoke status 500' }]) // { sent: 2, passed: 1, failure: 'invoke status 500' }
 */
export function tallyProbes(judged: readonly { ok: boolean; failure?: string | undefined }[]): ProbeEvidence {
  return { sent: judged.length, passed: judged.filter((j) => j.ok).length, failure: judged.find((j) => !j.ok && j.failure !== undefined)?.failure };
}
