/**
 * Lifecycle hooks: Lambda functions the operator allows, called at fixed moments of a rollout.
 * `preTraffic` and `postTraffic` are CodeDeploy's BeforeAllowTraffic and AfterAllowTraffic;
 * `beforeStep` comes before each weight increase, `onRollback` after a rollback. Here: the input
 * schema, how a hook function is named for Invoke, how its answer is read, and the words for a
 * failure. The event a hook receives and what a failure does to the rollout are in
 * `hook-events.ts`, which knows the rollout state.
 */
import * as z from 'zod';
import { causeMessage, ErrorName, TRANSIENT_ERRORS } from './errors.js';
import { jsonBytes, MAX_HOOK_PAYLOAD_BYTES } from './limits.js';

/** The moments a hook can run at, in the order a rollout meets them. */
export const HOOK_KINDS = ['preTraffic', 'beforeStep', 'postTraffic', 'onRollback'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

/** CodeDeploy's lifecycle hooks have an hour to answer; so do ours unless the input says otherwise. */
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 3600;
export const MAX_HOOK_TIMEOUT_SECONDS = 86_400;

/**
 * A function as Invoke names it: a name or ARN, optionally qualified with an alias or version.
 * Group 1 is the bare function name.
 */
export const HOOK_FUNCTION_PATTERN =
  /^(?:arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:)?([a-zA-Z0-9_-]{1,64})(?::(?:\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;

const timeout = z
  .number({ error: `must be whole seconds from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}` })
  .int({ error: `must be whole seconds from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}` })
  .min(1, { error: `must be whole seconds from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}` })
  .max(MAX_HOOK_TIMEOUT_SECONDS, { error: `must be whole seconds from 1 to ${MAX_HOOK_TIMEOUT_SECONDS}` });

export const HookSchema = z.strictObject(
  {
    /** The hook function: a name or ARN, optionally `:alias` or `:version`. It must be on the operator's allowed hooks. */
    function: z
      .string({ error: 'must be a function name or ARN' })
      .regex(HOOK_FUNCTION_PATTERN, { error: 'must be a function name or ARN, optionally with :alias or :version' }),
    /** How long the hook may take to answer, directly or by calling back with the task token. Default 3600 (CodeDeploy's). */
    timeoutSeconds: timeout.default(DEFAULT_HOOK_TIMEOUT_SECONDS),
    /** Passed to the hook as `payload`, as it is: the hook's own settings (e.g. the smoke test's cases). At most `MAX_HOOK_PAYLOAD_BYTES` as JSON. */
    payload: z
      .unknown()
      .refine((p) => (jsonBytes(p) ?? 0) <= MAX_HOOK_PAYLOAD_BYTES, { error: `must be at most ${MAX_HOOK_PAYLOAD_BYTES} bytes as JSON` })
      .optional(),
  },
  { error: 'must be { function, timeoutSeconds?, payload? }' },
);

export type HookSpec = z.output<typeof HookSchema>;

export const HooksSchema = z.strictObject(
  { preTraffic: HookSchema.optional(), beforeStep: HookSchema.optional(), postTraffic: HookSchema.optional(), onRollback: HookSchema.optional() },
  { error: `must be an object with any of ${HOOK_KINDS.join(', ')}` },
);

export type Hooks = z.output<typeof HooksSchema>;

/**
 * A hook function split for Invoke: the function (name or unqualified ARN) and its qualifier.
 *
 * @example hookTarget('arn:aws:lambda:eu-west-1:123456789012:function:smoke:live') // { functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:smoke', qualifier: 'live' }
 * @example hookTarget('smoke') // { functionName: 'smoke' }
 */
export function hookTarget(ref: string): { functionName: string; qualifier?: string } {
  const parts = ref.split(':');
  const [functionName, qualifier] = ref.startsWith('arn:') ? [parts.slice(0, 7).join(':'), parts[7]] : [parts[0] ?? ref, parts[1]];
  return qualifier ? { functionName, qualifier } : { functionName };
}

/**
 * The bare name of a hook function, as allow-lists and IAM name it.
 *
 * @example hookFunctionName('arn:aws:lambda:eu-west-1:123456789012:function:smoke:live') // 'smoke'
 */
export function hookFunctionName(ref: string): string {
  return HOOK_FUNCTION_PATTERN.exec(ref)?.[1] ?? ref;
}

/** How a hook answered: it passed, it failed (with why), or it will call back with the task token. */
export type HookAnswer =
  | { readonly status: 'Succeeded' }
  | { readonly status: 'Failed'; readonly reason: string }
  | { readonly status: 'Pending' };

const AnswerSchema = z.object({
  status: z.enum(['Succeeded', 'Failed', 'Pending']),
  reason: z.string().optional(),
});

const snippet = (text: string) => (text.length > 200 ? `${text.slice(0, 197)}...` : text);

/**
 * A hook's answer from its invocation: `{"status":"Succeeded"}`, `{"status":"Failed","reason":...}`
 * or `{"status":"Pending"}` (it calls back later). A thrown error or any other answer is a failure
 * that says what came back.
 *
 * @example readHookAnswer({ statusCode: 200, payload: '{"status":"Failed","reason":"2 of 3 checks failed"}' }) // { status: 'Failed', reason: '2 of 3 checks failed' }
 */
export function readHookAnswer(invocation: { readonly statusCode: number; readonly functionError?: string | undefined; readonly payload: string }): HookAnswer {
  if (invocation.functionError) return { status: 'Failed', reason: `the hook threw (${invocation.functionError}): ${snippet(invocation.payload)}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(invocation.payload);
  } catch {
    parsed = undefined;
  }
  const answer = AnswerSchema.safeParse(parsed);
  if (!answer.success) {
    return { status: 'Failed', reason: `the hook answered ${snippet(invocation.payload || '(nothing)')}, not {"status": "Succeeded" | "Failed" | "Pending"}` };
  }
  if (answer.data.status === 'Failed') return { status: 'Failed', reason: answer.data.reason?.trim() || 'no reason given' };
  return { status: answer.data.status };
}

/** Errors that say a hook could not be run at all (our side or Lambda's), rather than that it failed. */
function couldNotRun(error: string): boolean {
  return error.startsWith('States.') || error.startsWith('Lambda.') || TRANSIENT_ERRORS.includes(error) || (Object.values(ErrorName) as string[]).includes(error);
}

/**
 * Why a hook's state failed, in one line: it gave no answer in time, it answered that it failed
 * (with its reason, and its own error name when it called back with one), or it could not be run.
 *
 * @example hookFailureReason('preTraffic', { function: 'smoke', timeoutSeconds: 600 }, { Error: 'States.Timeout' }) // 'the preTraffic hook smoke gave no answer within 600s'
 */
export function hookFailureReason(kind: HookKind, spec: Pick<HookSpec, 'function' | 'timeoutSeconds'>, failure: { readonly Error: string; readonly Cause?: string | undefined }): string {
  const hook = `the ${kind} hook ${hookFunctionName(spec.function)}`;
  const cause = causeMessage(failure.Cause).trim();
  if (failure.Error === 'States.Timeout') return `${hook} gave no answer within ${spec.timeoutSeconds}s`;
  if (failure.Error === ErrorName.HookFailed) return `${hook} failed: ${cause || 'no reason given'}`;
  if (couldNotRun(failure.Error)) return `${hook} could not be run: ${failure.Error}${cause ? `: ${cause}` : ''}`;
  return `${hook} failed (${failure.Error})${cause ? `: ${cause}` : ''}`;
}

/** The ready-made smoke-test hook's settings: the hook's `payload` in the rollout input. */
export const SmokeTestSchema = z
  .strictObject(
    {
      /** Invocations of the target version, each with what a good answer looks like. Default: one `{}` that must not throw. */
      cases: z
        .array(
          z.strictObject({
            /** The event to invoke the target version with. */
            payload: z.unknown().default({}),
            /** A dotted path into the JSON answer and the value it must have; without it, any answer that did not throw passes. */
            expect: z
              .strictObject({
                field: z.string({ error: 'must be a dotted path' }).regex(/^[\w-]+(\.[\w-]+)*$/, { error: 'must be a dotted path like "statusCode" or "body.ok"' }),
                equals: z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'must be a string, number, boolean or null' }),
              })
              .optional(),
          }),
          { error: 'must be a list of { payload, expect? }' },
        )
        .min(1, { error: 'needs at least one case' })
        .max(20, { error: 'at most 20 cases' })
        .default([{ payload: {} }]),
    },
    { error: 'must be { cases: [{ payload, expect? }] }' },
  )
  .prefault({});

export type SmokeTest = z.output<typeof SmokeTestSchema>;
