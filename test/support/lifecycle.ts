/**
 * Runs the real workflow in the simulated world with hooks, gates, a person's requests at given
 * moments, provisioned concurrency and a final bake, and reads back what a user would notice: the
 * alias's writes and when, how the execution ended, what people were told, what the hooks were asked.
 */
import { type ControlAction, parseControlRequest } from '../../functions/core/control.js';
import type { HookKind } from '../../functions/core/hooks.js';
import { systemClock } from '../../functions/ports.js';
import { requestControl } from '../../functions/tasks/control.js';
import type { HookScriptInput } from '../../sim/hooks.js';
import type { RunWorkflowOptions } from '../../sim/runner.js';
import { SimWorld, type WorldOptions } from '../../sim/world.js';

export const healthy = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };
export const crashing = { ...healthy, errorRate: 1 };
export const ALICE = 'arn:aws:iam::123456789012:user/alice';

/** A person's request at a moment of the run (seconds after the start). */
export interface Act {
  readonly atSeconds: number;
  readonly action: ControlAction;
  readonly body?: object;
}

export interface LifecycleRun {
  readonly input?: object;
  /** Scripted hook functions by kind; each is registered as `<kind>-hook` and named in the input. */
  readonly hooks?: Partial<Record<HookKind, HookScriptInput & { timeoutSeconds?: number }>>;
  readonly world?: Partial<WorldOptions>;
  readonly acts?: readonly Act[];
  /** Set-up of the world before the run (provisioned concurrency, faults). */
  readonly setup?: (world: SimWorld) => void;
  readonly options?: Partial<Omit<RunWorkflowOptions, 'input'>>;
}

/** Runs one rollout of `orders:live` from v1 to v2 and reports what happened. */
export async function runLifecycle({ input = {}, hooks = {}, world = {}, acts = [], setup, options = {} }: LifecycleRun = {}) {
  const w = new SimWorld({ rate: 50, baseline: healthy, target: healthy, metricDelaySeconds: 0, seed: 3, ...world });
  setup?.(w);
  const hookSpecs = Object.fromEntries(
    Object.entries(hooks).map(([kind, { timeoutSeconds, ...script }]) => {
      w.hooks.register(`${kind}-hook`, script);
      return [kind, { function: `${kind}-hook`, timeoutSeconds: timeoutSeconds ?? 600 }];
    }),
  );
  const answers: { atSeconds: number; action: ControlAction; statusCode: number; body: Record<string, unknown> }[] = [];
  const schedule = acts.map((act) => ({
    atSeconds: act.atSeconds,
    run: async () => {
      const ports = { registry: w.registry, controls: w.controls, tokens: w.tokens, clock: systemClock };
      const res = await requestControl(ports, 'rehearsal', parseControlRequest(act.action, act.body ?? {}), ALICE);
      answers.push({ atSeconds: (Date.now() - w.startTime) / 1000, action: act.action, statusCode: res.statusCode, body: res.body as Record<string, unknown> });
    },
  }));
  const result = await w.rehearse(
    {
      functionName: w.functionName,
      alias: w.alias,
      targetVersion: w.targetVersion,
      strategy: 'Canary10Percent5Minutes',
      health: { metricDelaySeconds: 0 },
      ...(Object.keys(hookSpecs).length > 0 ? { hooks: hookSpecs } : {}),
      ...input,
    },
    { schedule, ...options },
  );
  const since = (at: number) => (at - w.startTime) / 1000;
  const writes = w.lambda.aliasChanges.filter((c) => c.by === 'rollout');
  return {
    world: w,
    result,
    /** The alias after each write of the rollout: "1+2@10" is v1 with 10% to v2; "2" is wholly v2. */
    weights: writes.map((c) => (Object.keys(c.routing).length ? `${c.functionVersion}+${Object.entries(c.routing).map(([v, p]) => `${v}@${p}`).join()}` : c.functionVersion)),
    /** When each write happened, seconds after the start. */
    writeTimes: writes.map((c) => since(c.at)),
    alias: w.aliasState,
    types: w.notifier.published.map((n) => n.type),
    hookCalls: w.hooks.calls.map((c) => ({ ...c, atSeconds: since(c.at) })),
    answers,
    provisioned: w.lambda.provisionedChanges.map((c) => ({ atSeconds: since(c.at), qualifier: c.qualifier, executions: c.executions })),
    record: () => w.registry.get('rehearsal'),
    lock: () => w.registry.getLock('orders', 'live'),
  };
}
