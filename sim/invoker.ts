/**
 * Direct invocations of a simulated version, for synthetic probes: each answer fails with the
 * version's error rate at that moment, as the traffic model defines it.
 */
import type { InvocationResult, Invoker } from '../functions/ports.js';
import type { Random } from './random.js';
import type { TrafficModel } from './traffic.js';

const OK_PAYLOAD = JSON.stringify({ statusCode: 200, body: '{"ok":true}' });
const ERROR_PAYLOAD = JSON.stringify({ errorMessage: 'simulated failure' });

export class SimInvoker implements Invoker {
  /** Every probe sent, for reports and tests. */
  readonly sent: { at: number; qualifier: string; ok: boolean }[] = [];

  constructor(private readonly traffic: TrafficModel, private readonly random: Random) {}

  async invoke(_functionName: string, qualifier: string, _payload: unknown): Promise<InvocationResult> {
    const at = Date.now();
    const ok = this.random.uniform() >= this.traffic.behaviourAt(qualifier, at).errorRate;
    this.sent.push({ at, qualifier, ok });
    return { statusCode: 200, ...(ok ? {} : { functionError: 'Unhandled' }), payload: ok ? OK_PAYLOAD : ERROR_PAYLOAD };
  }
}
