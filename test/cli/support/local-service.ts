/**
 * The rollout service in one process, for the CLI's end-to-end tests: the real API handler
 * (`makeApi`) over the in-memory world, the in-memory state machine (`sim/workflow.ts`) running
 * the real workflow in that world in paced virtual time (so a client can watch minutes of rollout
 * in a second) with the real guard after every execution that stops or fails, and the real
 * artifact trigger for uploads. The HTTP side is `serve.ts`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { LockRequest } from '../../../functions/core/registry.js';
import { makeApi } from '../../../functions/tasks/api.js';
import { makeArtifactTrigger } from '../../../functions/tasks/artifact-trigger.js';
import type { BehaviourProfile } from '../../../sim/traffic.js';
import { InMemoryIdempotencyStore } from '../../../sim/registry.js';
import { SIM_STATE_MACHINE_ARN, SimWorkflow } from '../../../sim/workflow.js';
import { type Home, homeOf } from '../../../functions/core/scope.js';
import { SimWorld } from '../../../sim/world.js';

/** The state machine the local runner names its executions after (`sim/runner.ts`). */
export const STATE_MACHINE_ARN = SIM_STATE_MACHINE_ARN;
export const ARTIFACTS_BUCKET = 'lambda-rollout-artifacts';

/** What a test asks of the world: traffic, each version's behaviour, and how fast virtual time goes. */
export interface WorldSettings {
  readonly rps?: number;
  readonly baseline?: BehaviourProfile;
  readonly target?: BehaviourProfile;
  /** CloudWatch's ingestion delay. Default 0. */
  readonly metricDelaySeconds?: number;
  /** Virtual time moved per step, and wall-clock time between steps. Default 15 s per 15 ms. */
  readonly pace?: { readonly virtualMs: number; readonly realMs: number };
  /** Another rollout holding the alias when the world starts. */
  readonly heldBy?: Partial<LockRequest>;
}

const steady: BehaviourProfile = { errorRate: 0.001, p50Ms: 40, p99Ms: 200 };

/** One world with the service around it. */
export class LocalService {
  readonly world: SimWorld;
  readonly workflow: SimWorkflow;
  private readonly api: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  private readonly trigger: ReturnType<typeof makeArtifactTrigger>;

  private constructor(settings: WorldSettings) {
    this.world = new SimWorld({
      rate: settings.rps ?? 50,
      baseline: settings.baseline ?? steady,
      target: settings.target ?? steady,
      metricDelaySeconds: settings.metricDelaySeconds ?? 0,
    });
    const clock = { now: () => this.world.now() };
    this.workflow = new SimWorkflow(this.world, { pace: settings.pace ?? { virtualMs: 15_000, realMs: 15 } });
    const home = homeOf(SIM_STATE_MACHINE_ARN) as Home;
    this.api = makeApi({ registry: this.world.registry, idempotency: new InMemoryIdempotencyStore(), workflow: this.workflow, controls: this.world.controls, tokens: this.world.tokens, clock, scope: { allowedFunctions: [this.world.functionName], allowedHooks: this.world.hooks.names, home }, ids: { newId: () => globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 12) } });
    this.trigger = makeArtifactTrigger({
      lambda: this.world.lambda,
      artifacts: { readArtifact: async () => ({ tags: {}, metadata: { 'rollout-strategy': 'Canary10Percent5Minutes' } }) },
      starter: {
        start: (name, input) => this.workflow.start(name, input),
      },
      notifier: this.world.notifier,
      clock,
      config: { bucket: ARTIFACTS_BUCKET, prefix: 'releases/', allowedFunctions: [this.world.functionName], home },
    });
  }

  /** A world, with another rollout holding the alias when the settings say so. */
  static async create(settings: WorldSettings): Promise<LocalService> {
    const service = new LocalService(settings);
    const w = service.world;
    if (settings.heldBy) {
      const at = new Date(w.startTime).toISOString();
      const executionArn = service.workflow.executionArnFor('orders-live-v2-held0000000');
      await w.registry.acquire({ rolloutId: 'orders-live-v2-held0000000', executionArn, functionName: w.functionName, alias: w.alias, targetVersion: w.targetVersion, baselineVersion: w.baselineVersion, startedAt: at, status: 'running', startedBy: 'arn:aws:iam::123456789012:user/alice', at, ...settings.heldBy });
    }
    return service;
  }

  /** The API as API Gateway invokes it. */
  handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    return this.api(event, { awsRequestId: event.requestContext.requestId } as Context);
  }

  /** An upload to the artifacts bucket, as its EventBridge event reaches the trigger. */
  upload(key: string, versionId: string): Promise<unknown> {
    return this.trigger({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: ARTIFACTS_BUCKET }, object: { key, 'version-id': versionId } } });
  }

  /** Waits for every execution to end and its guard to finish. */
  async settled(): Promise<void> {
    await this.workflow.settled();
  }

  /** What a test checks after the CLI ran: the alias, the lock, each execution, the notifications. */
  async state() {
    await this.settled();
    const w = this.world;
    return {
      alias: w.aliasState,
      lock: (await w.registry.getLock(w.functionName, w.alias)) ?? null,
      executions: [...this.workflow.executions.values()].map((e) => ({ name: e.name, status: e.status, error: e.error ?? null })),
      notifications: w.notifier.published.map((n) => n.type),
      targetVersion: w.targetVersion,
      baselineVersion: w.baselineVersion,
    };
  }
}
