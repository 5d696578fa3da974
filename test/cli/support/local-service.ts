/**
 * The rollout service in one process, for the CLI's end-to-end tests: the real API handler
 * (`makeApi`) over the in-memory world, a Step Functions stand-in that runs the real workflow
 * in that world in paced virtual time (so a client can watch minutes of rollout in a second), the
 * real guard after every execution that stops or fails (as the EventBridge rule invokes it), and
 * the real artifact trigger for uploads. The HTTP side is `serve.ts`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { executionArnOf } from '../../../functions/aws/sfn.js';
import { NotFoundError } from '../../../functions/core/errors.js';
import type { LockRequest } from '../../../functions/core/registry.js';
import type { ExecutionInfo, ExecutionStatus, Workflow } from '../../../functions/ports.js';
import { makeApi } from '../../../functions/tasks/api.js';
import { makeArtifactTrigger } from '../../../functions/tasks/artifact-trigger.js';
import { makeGuard } from '../../../functions/tasks/guard.js';
import type { EventLog, WorkflowRun } from '../../../sim/runner.js';
import type { BehaviourProfile } from '../../../sim/traffic.js';
import { InMemoryIdempotencyStore } from '../../../sim/registry.js';
import { SimWorld } from '../../../sim/world.js';

/** The state machine the local runner names its executions after (`sim/runner.ts`). */
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-rollout';
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

interface Execution {
  readonly name: string;
  readonly input: unknown;
  status: ExecutionStatus;
  readonly startedAt: string;
  stoppedAt?: string;
  error?: string;
  cause?: string;
  readonly events: EventLog[];
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/** Step Functions for the API and the guard: each execution is a real workflow run in the world. */
class WorldWorkflow implements Workflow {
  readonly executions = new Map<string, Execution>();

  constructor(
    private readonly world: SimWorld,
    private readonly pace: NonNullable<WorldSettings['pace']>,
    private readonly ended: (executionArn: string, execution: Execution) => Promise<void>,
  ) {}

  executionArnFor(name: string): string {
    return executionArnOf(STATE_MACHINE_ARN, name);
  }

  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const executionArn = this.executionArnFor(name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      return { executionArn, alreadyStarted: true };
    }
    // One clock per world: the world runs one execution at a time.
    if ([...this.executions.values()].some((e) => e.status === 'RUNNING')) throw new Error('the local service runs one execution at a time');
    const stop = new AbortController();
    const events: EventLog[] = [];
    const startedAt = new Date(this.world.now()).toISOString();
    const run = this.world.rehearse(input, {
      executionName: name,
      startTime: this.world.now(),
      pace: this.pace,
      signal: stop.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'StateExited') this.world.settle(event.timestamp);
      },
    });
    const execution: Execution = { name, input, status: 'RUNNING', startedAt, events, stop, done: run.then((r) => this.finish(executionArn, execution, r)) };
    this.executions.set(executionArn, execution);
    return { executionArn, alreadyStarted: false };
  }

  private async finish(executionArn: string, execution: Execution, run: WorkflowRun): Promise<void> {
    if (run.status !== 'ABORTED') {
      Object.assign(execution, { status: run.status, stoppedAt: new Date(run.endedAt).toISOString(), error: run.error?.Error, cause: run.error?.Cause });
    }
    if (execution.status !== 'SUCCEEDED') await this.ended(executionArn, execution);
  }

  async stop(executionArn: string, reason: { error: string; cause: string }): Promise<void> {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new NotFoundError(`StopExecution ${executionArn}: Execution Does Not Exist`);
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, { status: 'ABORTED', stoppedAt: new Date(this.world.now()).toISOString(), error: reason.error, cause: reason.cause });
    execution.stop.abort();
  }

  async describe(executionArn: string): Promise<ExecutionInfo> {
    const e = this.executions.get(executionArn);
    if (!e) throw new NotFoundError(`DescribeExecution ${executionArn}: Execution Does Not Exist`);
    return { executionArn, name: e.name, status: e.status, startedAt: e.startedAt, stoppedAt: e.stoppedAt, error: e.error, cause: e.cause };
  }

  async findInHistory<T>(executionArn: string, pick: (data: unknown) => T | undefined): Promise<T | undefined> {
    for (const event of [...(this.executions.get(executionArn)?.events ?? [])].reverse()) {
      const state = (event as { state?: { output?: unknown; input?: unknown } }).state;
      for (const data of [state?.output, state?.input]) {
        const found = data === undefined ? undefined : pick(structuredClone(data));
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
}

/** One world with the service around it. */
export class LocalService {
  readonly world: SimWorld;
  readonly workflow: WorldWorkflow;
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
    const guard = makeGuard({ registry: this.world.registry, workflow: { describe: (a) => this.workflow.describe(a), findInHistory: (a, p) => this.workflow.findInHistory(a, p) }, lambda: this.world.lambda, notifier: this.world.notifier, clock });
    this.workflow = new WorldWorkflow(this.world, settings.pace ?? { virtualMs: 15_000, realMs: 15 }, async (executionArn, e) => {
      await guard({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn, name: e.name, status: e.status, error: e.error ?? null, cause: e.cause ?? null } });
    });
    this.api = makeApi({ registry: this.world.registry, idempotency: new InMemoryIdempotencyStore(), workflow: this.workflow, clock, ids: { newId: () => globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 12) } });
    this.trigger = makeArtifactTrigger({
      lambda: this.world.lambda,
      artifacts: { readArtifact: async () => ({ tags: {}, metadata: { 'rollout-strategy': 'Canary10Percent5Minutes' } }) },
      starter: {
        start: (name, input) => this.workflow.start(name, input),
      },
      notifier: this.world.notifier,
      clock,
      config: { bucket: ARTIFACTS_BUCKET, prefix: 'releases/', allowedFunctions: [this.world.functionName] },
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
    await Promise.all([...this.workflow.executions.values()].map((e) => e.done));
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
