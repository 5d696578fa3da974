/**
 * Direct invocations of a simulated version, for synthetic probes: each answer fails with the
 * version's error rate at that moment, as the traffic model defines it.
 */
import type { InvocationResult, Invoker } from '../functions/ports.js';
import type { Random } from './random.js';
import type { TrafficModel } from './traffic.js';

export class SimInvoker implements Invoker {
  /** Every probe sent, for reports and tests. */
  readonly sent: { at: number; qualifier: string; ok: boolean }[] = [];

  constructor(
    private readonly traffic: TrafficModel,
    private readonly random: Random,
    private readonly respond: (ok: boolean) => unknown = (ok) => (ok ? { statusCode: 200, body: '{"ok":true}' } : { errorMessage: 'simulated failure' }),
  ) {}

  async invoke(_functionName: string, qualifier: string, _payload: unknown): Promise<InvocationResult> {
    const at = Date.now();
    const ok = this.random.uniform() >= this.traffic.behaviourAt(qualifier, at).errorRate;
    this.sent.push({ at, qualifier, ok });
    return { statusCode: 200, ...(ok ? {} : { functionError: 'Unhandled' }), payload: JSON.stringify(this.respond(ok)) };
  }
}
