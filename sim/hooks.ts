/**
 * Hook functions in the rehearsal, scripted: each answers as its script says (succeed, fail, never
 * answer, or answer Pending and call back with the task token after some virtual seconds), or runs
 * the ready-made smoke test against the simulated target. The RunHook task invokes them through
 * the world's invoker exactly as it invokes real hooks.
 */
import { z } from 'zod';
import type { HookEvent } from '../functions/core/hook-events.js';
import type { HookAnswer } from '../functions/core/hooks.js';
import type { InvocationResult, Invoker, TaskTokens } from '../functions/ports.js';
import { makeSmokeTest } from '../functions/tasks/smoke-test.js';

/** Calls answered `succeed` before the script's answer applies (a hook that starts failing later). Default 0. */
const passFirst = z.number({ error: 'must be a whole number, 0 or more' }).int({ error: 'must be a whole number, 0 or more' }).min(0, { error: 'must be a whole number, 0 or more' }).default(0);

export const HookScriptSchema = z.discriminatedUnion(
  'answer',
  [
    z.strictObject({ answer: z.literal('succeed'), passFirst }),
    z.strictObject({ answer: z.literal('fail'), reason: z.string().default('the scripted hook failed'), passFirst }),
    z.strictObject({ answer: z.literal('timeout'), passFirst }),
    z.strictObject({
      answer: z.literal('callback'),
      afterSeconds: z.number({ error: 'must be seconds, 0 or more' }).min(0, { error: 'must be seconds, 0 or more' }),
      status: z.enum(['Succeeded', 'Failed']).default('Succeeded'),
      reason: z.string().optional(),
      passFirst,
    }),
    z.strictObject({ answer: z.literal('smoke'), payload: z.unknown().optional(), passFirst }),
  ],
  { error: 'must have answer succeed, fail, timeout, callback or smoke' },
);

/** How a scripted hook answers. */
export type HookScript = z.output<typeof HookScriptSchema>;
export type HookScriptInput = z.input<typeof HookScriptSchema>;

/** One invocation of a scripted hook. */
export interface HookCall {
  readonly at: number;
  readonly function: string;
  readonly hook: string;
  /** What it answered when invoked. */
  readonly answer: HookAnswer['status'];
}

export class SimHooks {
  readonly calls: HookCall[] = [];
  private readonly scripts = new Map<string, HookScript>();
  private readonly smoke: ReturnType<typeof makeSmokeTest>;

  constructor(
    private readonly tokens: TaskTokens,
    target: Invoker,
  ) {
    this.smoke = makeSmokeTest({ invoker: target });
  }

  /** A hook function named `name` that answers as `script` says. */
  register(name: string, script: HookScriptInput): void {
    this.scripts.set(name, HookScriptSchema.parse(script));
  }

  has(functionName: string): boolean {
    return this.scripts.has(functionName);
  }

  /** The registered hook functions: the world's allowed hooks. */
  get names(): string[] {
    return [...this.scripts.keys()];
  }

  async invoke(functionName: string, event: HookEvent): Promise<InvocationResult> {
    const script = this.scripts.get(functionName);
    if (!script) throw new Error(`no scripted hook ${functionName}`);
    const earlier = this.calls.filter((c) => c.function === functionName).length;
    const answer: HookAnswer = earlier < script.passFirst ? { status: 'Succeeded' } : await this.answer(script, event);
    this.calls.push({ at: Date.now(), function: functionName, hook: event.hook, answer: answer.status });
    return { statusCode: 200, payload: JSON.stringify(answer) };
  }

  private async answer(script: HookScript, event: HookEvent): Promise<HookAnswer> {
    switch (script.answer) {
      case 'succeed':
        return { status: 'Succeeded' };
      case 'fail':
        return { status: 'Failed', reason: script.reason };
      case 'timeout':
        return { status: 'Pending' };
      case 'smoke':
        return this.smoke({ ...event, payload: script.payload ?? event.payload });
      case 'callback':
        setTimeout(() => {
          // A callback after the hook's deadline meets a closed task, as SendTaskSuccess would.
          const late = () => undefined;
          if (script.status === 'Succeeded') void this.tokens.succeed(event.taskToken, { hook: event.hook, status: 'Succeeded' }).catch(late);
          else void this.tokens.fail(event.taskToken, 'HookFailed', script.reason ?? 'the scripted hook failed').catch(late);
        }, script.afterSeconds * 1000);
        return { status: 'Pending' };
    }
  }
}
