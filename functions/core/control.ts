/**
 * Human control of a running rollout: approval gates, pause and resume, promote. People ask through
 * the API (`POST /rollouts/{id}/approve`, `/reject`, `/pause`, `/resume`, `/promote`); each request
 * is a change to the rollout's control record in the registry, made here by pure rules that refuse
 * what does not apply (409, with the rollout's status). The workflow reads the record at every
 * check and `decide` folds it into the next move; the API wakes the holding loop through the task
 * token the loop stored in the record, so a decision takes effect at once.
 */
import * as z from 'zod';
import { type FieldIssue, InvalidInputError } from './errors.js';
import { toFieldIssues } from './field-issues.js';
import { MAX_CALLER_CHARS, MAX_REASON_CHARS } from './limits.js';
import type { Plan } from './strategy.js';

/** A gate holds for at most this long: a day of checks is about 1,440 loops of the holding loop. */
export const MAX_GATE_SECONDS = 86_400;
/** An hour, like a hook: long enough for a person, short enough not to fill the execution's history. */
export const DEFAULT_GATE_SECONDS = 3600;

export const GateSchema = z.strictObject(
  {
    /** The step (1-based, from 2: the first has no traffic to judge yet) or `promotion`, before which the rollout waits for approval. */
    before: z.union(
      [
        z
          .number({ error: 'must be a step number from 2, or "promotion"' })
          .int({ error: 'must be a step number from 2, or "promotion"' })
          .min(2, { error: 'must be a step number from 2 (the first step has no traffic to judge while it waits), or "promotion"' }),
        z.literal('promotion'),
      ],
      { error: 'must be a step number from 2, or "promotion"' },
    ),
    /** How long the gate waits for a decision. Default 3600. */
    timeoutSeconds: z
      .number({ error: `must be whole seconds from 60 to ${MAX_GATE_SECONDS}` })
      .int({ error: `must be whole seconds from 60 to ${MAX_GATE_SECONDS}` })
      .min(60, { error: `must be whole seconds from 60 to ${MAX_GATE_SECONDS}` })
      .max(MAX_GATE_SECONDS, { error: `must be whole seconds from 60 to ${MAX_GATE_SECONDS}` })
      .default(DEFAULT_GATE_SECONDS),
    /** What a gate nobody decided does when it times out: roll back (default) or proceed. */
    onTimeout: z.enum(['rollback', 'proceed'], { error: 'must be "rollback" or "proceed"' }).default('rollback'),
  },
  { error: 'must be { before, timeoutSeconds?, onTimeout? }' },
);

export type Gate = z.output<typeof GateSchema>;

export const GatesSchema = z.array(GateSchema, { error: 'must be a list of gates' }).max(101, { error: 'at most 101 gates' });

/**
 * A gate's id, as the API and notifications name it.
 *
 * @example gateId(3) // 'step-3'
 * @example gateId('promotion') // 'promotion'
 */
export function gateId(before: Gate['before']): string {
  return before === 'promotion' ? 'promotion' : `step-${before}`;
}

/**
 * The rules gates break against the plan, each naming the gate: a step the plan does not have, the
 * same moment twice, or any gate for a plan that moves all traffic at once (no weight to hold at).
 *
 * @example gateProblems([{ before: 4, timeoutSeconds: 3600, onTimeout: 'rollback' }], toPlan('Canary10Percent5Minutes'))
 * // [{ field: 'gates[0].before', rule: 'the plan has 1 step: a gate can come before steps 2 to 1, or before "promotion"' }]
 */
export function gateProblems(gates: readonly Gate[], plan: Plan): FieldIssue[] {
  const steps = plan.steps.length;
  const seen = new Set<string>();
  return gates.flatMap((gate, i): FieldIssue[] => {
    const field = `gates[${i}].before`;
    if (steps === 0) return [{ field, rule: 'the plan moves all traffic at once: there is no weight to hold at while waiting; use a canary or steps' }];
    const id = gateId(gate.before);
    if (seen.has(id)) return [{ field, rule: `there is already a gate before ${id}` }];
    seen.add(id);
    if (gate.before !== 'promotion' && gate.before > steps) {
      return [{ field, rule: `the plan has ${steps} step${steps === 1 ? '' : 's'}: a gate can come before steps 2 to ${steps}, or before "promotion"` }];
    }
    return [];
  });
}

/** A person's decision on a gate. */
export interface GateDecision {
  readonly decision: 'approved' | 'rejected';
  /** The IAM caller's ARN. */
  readonly by: string;
  readonly reason?: string | undefined;
  /** ISO timestamp. */
  readonly at: string;
}

/** The gate a rollout waits at, as the workflow announced it. */
export interface OpenGate {
  readonly id: string;
  /** ISO timestamps. */
  readonly openedAt: string;
  readonly timesOutAt: string;
  readonly onTimeout: Gate['onTimeout'];
  /** The target's weight while it waits. */
  readonly weightPercent: number;
}

/** Who asked for something, when and why. */
export interface Request {
  readonly by: string;
  readonly reason?: string | undefined;
  /** ISO timestamp. */
  readonly at: string;
}

/**
 * A rollout's control record: what people asked for, and what the workflow needs to hear it at once.
 * Written by the API (decisions, pause, promote) and by the workflow (the open gate, the wait's
 * task token); every write is conditional on `version`, so no request is lost to a concurrent one.
 */
export interface RolloutControl {
  readonly rolloutId: string;
  readonly executionArn: string;
  /** 1 for the first write; each write adds one. */
  readonly version: number;
  readonly gate?: OpenGate | undefined;
  /** Decisions by gate id. */
  readonly decisions: Readonly<Record<string, GateDecision>>;
  readonly pause?: Request | undefined;
  readonly promote?: (Request & { readonly full: boolean }) | undefined;
  /** The task token of the holding loop's current wait, which the API uses to wake it. */
  readonly waitToken?: string | undefined;
  /** ISO timestamp. */
  readonly updatedAt: string;
}

/**
 * A control record nobody has written yet.
 *
 * @example emptyControl('r1', arn, now) // { rolloutId: 'r1', executionArn: arn, version: 0, decisions: {}, updatedAt: '...' }
 */
export function emptyControl(rolloutId: string, executionArn: string, now: number): RolloutControl {
  return { rolloutId, executionArn, version: 0, decisions: {}, updatedAt: new Date(now).toISOString() };
}

/** The actions people take on a running rollout through the API. */
export const CONTROL_ACTIONS = ['approve', 'reject', 'pause', 'resume', 'promote'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export const MAX_CONTROL_REASON = MAX_REASON_CHARS;
const reason = z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' }).max(MAX_CONTROL_REASON, { error: `must be at most ${MAX_CONTROL_REASON} characters` });

const BODIES = {
  approve: z.strictObject({ gate: z.string({ error: 'must be a gate id such as "step-2" or "promotion"' }).optional(), reason: reason.optional() }, { error: 'must be a JSON object' }),
  reject: z.strictObject({ gate: z.string({ error: 'must be a gate id such as "step-2" or "promotion"' }).optional(), reason: reason.describe('why') }, { error: 'must be a JSON object with a reason' }),
  pause: z.strictObject({ reason: reason.optional() }, { error: 'must be a JSON object' }),
  resume: z.strictObject({ reason: reason.optional() }, { error: 'must be a JSON object' }),
  promote: z.strictObject({ full: z.boolean({ error: 'must be true or false' }).default(true), reason: reason.optional() }, { error: 'must be a JSON object' }),
} as const;

/** A request to change a rollout's control, checked. */
export type ControlRequest =
  | { readonly action: 'approve' | 'reject'; readonly gate?: string | undefined; readonly reason?: string | undefined }
  | { readonly action: 'pause' | 'resume'; readonly reason?: string | undefined }
  | { readonly action: 'promote'; readonly full: boolean; readonly reason?: string | undefined };

/**
 * The body of `POST /rollouts/{id}/<action>`, checked, and the caller it is recorded with; a
 * missing body is an empty one. Throws InvalidInputError naming each broken rule (a reject needs a
 * reason; a reason and the caller have a length limit, as both are stored with the rollout).
 *
 * @example parseControlRequest('promote', {}) // { action: 'promote', full: true }
 */
export function parseControlRequest(action: ControlAction, body: unknown, caller = ''): ControlRequest {
  const parsed = BODIES[action].safeParse(body ?? {}, { reportInput: true });
  const issues: FieldIssue[] = parsed.success ? [] : toFieldIssues(parsed.error.issues);
  if (caller.length > MAX_CALLER_CHARS) issues.push({ field: '(caller)', rule: `must be an identity of at most ${MAX_CALLER_CHARS} characters; this is ${caller.length}` });
  if (!parsed.success || issues.length > 0) throw new InvalidInputError(issues);
  return { action, ...parsed.data } as ControlRequest;
}

/** What the API knows of the rollout when it applies a request. */
export interface ControlContext {
  readonly rolloutId: string;
  /** The record's status: pending, running, or how it ended. */
  readonly status: string;
  /** The target's weight as the rollout last reported it. */
  readonly weightPercent: number;
  /** The IAM caller's ARN. */
  readonly caller: string;
  readonly now: number;
}

/** A request applied: the record to write; or refused, with why. */
export type ControlChange = { readonly ok: true; readonly control: RolloutControl } | { readonly ok: false; readonly error: string };

const ENDED = new Set(['promoted', 'rolled_back', 'drift', 'refused', 'aborted', 'timed_out', 'failed']);

/**
 * Applies a person's request to the control record, or refuses it when it does not apply: the
 * rollout has ended; approve or reject with no gate open (or another gate than named, or one
 * already decided); pause when paused, resume when not; promote at 100% or when asked already.
 *
 * @example applyControlRequest(control, { action: 'resume' }, context) // { ok: false, error: 'rollout r1 is not paused' }
 */
export function applyControlRequest(control: RolloutControl, request: ControlRequest, context: ControlContext): ControlChange {
  const id = context.rolloutId;
  if (ENDED.has(context.status)) return { ok: false, error: `rollout ${id} has ended (${context.status})` };
  const asked: Request = { by: context.caller, ...(request.reason !== undefined ? { reason: request.reason } : {}), at: new Date(context.now).toISOString() };
  const changed = (c: Partial<RolloutControl>): ControlChange => ({ ok: true, control: { ...control, ...c, version: control.version + 1, updatedAt: asked.at } });

  switch (request.action) {
    case 'approve':
    case 'reject': {
      const gate = control.gate;
      if (!gate) return { ok: false, error: `rollout ${id} is not waiting at a gate (the target has ${context.weightPercent}%)` };
      if (request.gate !== undefined && request.gate !== gate.id) return { ok: false, error: `rollout ${id} waits at gate ${gate.id}, not ${request.gate}` };
      const decided = control.decisions[gate.id];
      if (decided) return { ok: false, error: `gate ${gate.id} of rollout ${id} was already ${decided.decision} by ${decided.by} at ${decided.at}` };
      const decision: GateDecision = { decision: request.action === 'approve' ? 'approved' : 'rejected', ...asked };
      return changed({ decisions: { ...control.decisions, [gate.id]: decision } });
    }
    case 'pause':
      if (control.pause) return { ok: false, error: `rollout ${id} is already paused (by ${control.pause.by} at ${control.pause.at})` };
      return changed({ pause: asked });
    case 'resume':
      if (!control.pause) return { ok: false, error: `rollout ${id} is not paused` };
      return changed({ pause: undefined });
    case 'promote':
      if (context.weightPercent >= 100) return { ok: false, error: `rollout ${id} is already at 100%` };
      if (control.promote) return { ok: false, error: `rollout ${id} is already being promoted (asked by ${control.promote.by} at ${control.promote.at})` };
      return changed({ promote: { ...asked, full: request.full } });
  }
}

/**
 * Whether an applied request changes the next move now, so the holding loop is worth waking (a pause only stops the next advance).
 *
 * @example wakes({ action: 'pause' }) // false
 */
export function wakes(request: ControlRequest): boolean {
  return request.action !== 'pause';
}

/**
 * The record with the gate the workflow now waits at (or none): what the API checks approvals
 * against. Undefined when the record already says so (nothing to write).
 *
 * @example withOpenGate(control, undefined, now) // undefined when no gate was open
 */
export function withOpenGate(control: RolloutControl, gate: OpenGate | undefined, now: number): RolloutControl | undefined {
  if ((control.gate?.id ?? null) === (gate?.id ?? null)) return undefined;
  return { ...control, gate, version: control.version + 1, updatedAt: new Date(now).toISOString() };
}

/**
 * What a person decided since the check that made the rollout wait, in words, or undefined: the
 * gate it waits at was decided, the pause it waits in was lifted, or a promotion was asked for.
 *
 * @example controlChangedSince({ ...control, pause: undefined }, { paused: true }) // 'the rollout was resumed'
 */
export function controlChangedSince(
  control: RolloutControl,
  waiting: { readonly gate?: Pick<OpenGate, 'id'> | undefined; readonly paused?: boolean | undefined; readonly promotion?: unknown; readonly final?: boolean | undefined },
): string | undefined {
  // A promotion asked for counts until it happened (after promotion, the final bake ignores it).
  if (control.promote && !waiting.promotion && !waiting.final) return `a promotion was asked for by ${control.promote.by}`;
  // While paused, only the resume changes the next move (a gate decided meanwhile is acted on after it).
  if (waiting.paused) return control.pause ? undefined : 'the rollout was resumed';
  const decided = waiting.gate ? control.decisions[waiting.gate.id] : undefined;
  if (waiting.gate && decided) return `gate ${waiting.gate.id} was ${decided.decision} by ${decided.by}`;
  return undefined;
}

/**
 * A view of the control record for `GET /rollouts/{id}`: what people asked and what the rollout waits for.
 *
 * @example controlView({ ...control, pause: asked }) // { paused: asked }
 */
export function controlView(control: RolloutControl | undefined) {
  if (!control) return undefined;
  return {
    ...(control.gate ? { waitingAt: control.gate } : {}),
    ...(Object.keys(control.decisions).length > 0 ? { decisions: control.decisions } : {}),
    ...(control.pause ? { paused: control.pause } : {}),
    ...(control.promote ? { promote: control.promote } : {}),
  };
}
