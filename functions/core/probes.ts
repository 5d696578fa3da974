/** Synthetic probes: what counts as a good answer from a directly invoked version. */
import type { ProbePolicy } from './health.js';

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
