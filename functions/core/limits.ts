/**
 * The size limits of what callers send: chosen so that the worst input the rules accept still
 * runs to its end within Step Functions' limits (256 KiB of state, where the execution carries
 * its input), and so that bad input is refused with a 400 naming the field and the limit before
 * anything is parsed deeply, stored or started. Every entry point holds its input to them: the
 * API (before parsing the body), the workflow (Prepare), the artifact trigger (its strategy
 * metadata), the CLI (scenario files). The rollout input's own fields (hooks and their payloads,
 * gates, the final bake, provisioned concurrency) have their limits in their schemas; the requests
 * people send a running rollout (approve, reject, pause, resume, promote, abort, retry) are held to
 * the reason and caller lengths here, since each is recorded with the rollout.
 */
import { type FieldIssue } from './errors.js';

/** The largest rollout input, serialized as JSON, in bytes (UTF-8): 32 KiB. */
export const MAX_INPUT_BYTES = 32 * 1024;
/** The largest probe payload (`health.probes.payload`), serialized as JSON, in bytes: 16 KiB. */
export const MAX_PROBE_PAYLOAD_BYTES = 16 * 1024;
/** The largest hook payload (`hooks.<kind>.payload`, handed to the hook as it is), as JSON, in bytes: 16 KiB. */
export const MAX_HOOK_PAYLOAD_BYTES = 16 * 1024;
/**
 * The longest reason a person gives with a request to a rollout, in characters: recorded in the
 * control record and the state, and StopExecution keeps at most 32,768 characters of cause.
 */
export const MAX_REASON_CHARS = 1024;
/** The longest caller (the IAM identity's ARN API Gateway hands over) recorded with a request, in characters. */
export const MAX_CALLER_CHARS = 2048;
/** The deepest nesting of objects and arrays in any input: 32 levels (the rollout input needs 6). */
export const MAX_JSON_DEPTH = 32;

/**
 * The size of a value as JSON, in UTF-8 bytes; undefined for a value JSON cannot hold.
 *
 * @example jsonBytes({ a: 'é' }) // 10
 */
export function jsonBytes(value: unknown): number | undefined {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : new TextEncoder().encode(text).length;
}

/**
 * How deep objects and arrays nest in a value, counted without recursion and up to `limit + 1`
 * at most (deeper input is not walked further), so that a hostile input cannot exhaust the stack.
 *
 * @example nestingDepth({ a: [1, { b: 2 }] }) // 3
 */
export function nestingDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (depth > limit) return deepest;
    for (const child of Object.values(v)) stack.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}

/**
 * How deep objects and arrays nest in JSON text, read in one pass over the characters (strings
 * skipped), stopping past `limit`: the check that comes before `JSON.parse` and everything that
 * walks the parsed value.
 *
 * @example textNestingDepth('{"a":[1,{"b":"]]"}]}') // 3
 */
export function textNestingDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      depth++;
      deepest = Math.max(deepest, depth);
      if (deepest > limit) return deepest;
    } else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

/**
 * The broken size rules of an input, each naming `field`: nested deeper than `MAX_JSON_DEPTH`, or
 * larger than `maxBytes` as JSON. Depth is checked first, so size is only measured on input
 * that is safe to serialize.
 *
 * @example sizeIssues('(input)', { a: 'x'.repeat(40_000) }) // [{ field: '(input)', rule: 'must be at most 32768 bytes as JSON; this is 40008' }]
 */
export function sizeIssues(field: string, value: unknown, maxBytes = MAX_INPUT_BYTES): FieldIssue[] {
  if (nestingDepth(value) > MAX_JSON_DEPTH) return [{ field, rule: `must nest objects and arrays at most ${MAX_JSON_DEPTH} deep` }];
  const bytes = jsonBytes(value) ?? 0;
  return bytes > maxBytes ? [{ field, rule: `must be at most ${maxBytes} bytes as JSON; this is ${bytes}` }] : [];
}

/**
 * The broken size rules of a request body before it is parsed: larger than `MAX_INPUT_BYTES`, or
 * nested deeper than `MAX_JSON_DEPTH`, each naming `(body)`.
 *
 * @example bodyIssues('['.repeat(5000), 5000) // [{ field: '(body)', rule: 'must nest objects and arrays at most 32 deep' }]
 */
export function bodyIssues(text: string, bytes: number): FieldIssue[] {
  if (bytes > MAX_INPUT_BYTES) return [{ field: '(body)', rule: `must be at most ${MAX_INPUT_BYTES} bytes; this is ${bytes}` }];
  if (textNestingDepth(text) > MAX_JSON_DEPTH) return [{ field: '(body)', rule: `must nest objects and arrays at most ${MAX_JSON_DEPTH} deep` }];
  return [];
}
