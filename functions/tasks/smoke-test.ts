/**
 * The ready-made smoke-test hook: invokes the target version with each case of its payload
 * (`core/hooks.ts`, `SmokeTestSchema`) and checks the answers as probes are checked (no function
 * error, a 2xx invoke status, the expected field value). Usable as a preTraffic hook (before any
 * traffic) or a postTraffic hook (after promotion): it answers at once, `Succeeded`, or `Failed`
 * with the first failures.
 */
import { type HookAnswer, SmokeTestSchema } from '../core/hooks.js';
import type { HookEvent } from '../core/hook-events.js';
import { toFieldIssues } from '../core/input.js';
import { judgeProbeAnswer } from '../core/probes.js';
import type { Invoker } from '../ports.js';

/** The smoke test over its invoker. */
export function makeSmokeTest({ invoker }: { invoker: Invoker }) {
  return async function smokeTest(event: Pick<HookEvent, 'functionName' | 'targetVersion' | 'payload'>): Promise<HookAnswer> {
    const parsed = SmokeTestSchema.safeParse(event.payload, { reportInput: true });
    if (!parsed.success) {
      const issues = toFieldIssues(parsed.error.issues, ['payload']).map((i) => `${i.field}: ${i.rule}`);
      return { status: 'Failed', reason: `the smoke test's settings (the hook's payload) are invalid: ${issues.join('; ')}` };
    }
    const failures: string[] = [];
    for (const [i, c] of parsed.data.cases.entries()) {
      const judged = judgeProbeAnswer(await invoker.invoke(event.functionName, event.targetVersion, c.payload), c.expect ?? {});
      if (!judged.ok) failures.push(`case ${i + 1}: ${judged.failure ?? 'unexpected answer'}`);
    }
    const total = parsed.data.cases.length;
    if (failures.length === 0) return { status: 'Succeeded' };
    return { status: 'Failed', reason: `${failures.length} of ${total} smoke test cases failed on version ${event.targetVersion}: ${failures.slice(0, 3).join('; ')}` };
  };
}
