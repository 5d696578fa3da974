/**
 * The simulated AWS world a rehearsal runs in: one function with a baseline and a target
 * version behind an alias, traffic to that alias, CloudWatch with its ingestion delay, a notifier
 * that records, scripted hook functions, task tokens and the rollouts' control records.
 * Everything reads `Date.now()`, which the runner drives in virtual time.
 */
import type { HookEvent } from '../functions/core/hook-events.js';
import type { AliasState } from '../functions/core/lambda-model.js';
import { systemClock } from '../functions/ports.js';
import { SimCloudWatch } from './cloudwatch/index.js';
import { SimLambda } from './lambda.js';
import { RecordingNotifier } from './notifier.js';
import { SimInvoker } from './invoker.js';
import { InMemoryRolloutRegistry } from './registry.js';
import { SimCodeRelease } from './code-release.js';
import { InMemoryControlStore } from './control-store.js';
import { SimHooks } from './hooks.js';
import { SimTaskTokens } from './task-tokens.js';
import { MetricAggregate } from './cloudwatch/index.js';
import { Random } from './random.js';
import { DEFAULT_START_TIME, runWorkflow, type RunWorkflowOptions, type WorkflowRun } from './runner.js';
import type { TaskPorts } from './tasks.js';
import { SimWorkflow } from './workflow.js';
import { type BehaviourProfile, type RequestRate, TrafficModel } from './traffic.js';

export interface WorldOptions {
  /** Default "orders". */
  readonly functionName?: string;
  /** Default "live". */
  readonly alias?: string;
  /** Requests per second to the alias: constant or a function of elapsed seconds. */
  readonly rate: RequestRate;
  readonly baseline: BehaviourProfile;
  /** The new code: the published target version, and any version a release publishes during the run. */
  readonly target: BehaviourProfile;
  /** CloudWatch ingestion delay. Default 120 s. */
  readonly metricDelaySeconds?: number;
  /** Default 1. */
  readonly seed?: number;
  /** How long a code update stays InProgress. Default 5 s. */
  readonly codeUpdateSeconds?: number;
  /** Virtual epoch ms where the world starts. Default the runner's default start time. */
  readonly startTime?: number;
  /** Traffic is generated this many seconds at a time (see `TrafficModelOptions.sliceSeconds`). Default 1. */
  readonly trafficSliceSeconds?: number;
  /** Width of a traffic timeline bucket. Default 60. */
  readonly timelineSeconds?: number;
  /**
   * Seconds of the baseline's traffic through the alias before the world starts, in CloudWatch (the
   * expected counts of `rate` and the baseline's error rate, minute by minute), for a final bake to
   * compare with. Default 0.
   */
  readonly historySeconds?: number;
}

export class SimWorld {
  readonly functionName: string;
  readonly alias: string;
  readonly startTime: number;
  readonly lambda: SimLambda;
  readonly cloudwatch: SimCloudWatch;
  readonly traffic: TrafficModel;
  readonly notifier: RecordingNotifier;
  /** Rollout events for machines (EventBridge on AWS), as Notify and the guard publish them. */
  readonly events: RecordingNotifier;
  readonly invoker: SimInvoker;
  /** The rollout registry and lock. */
  readonly registry: InMemoryRolloutRegistry;
  /** Code updates and version publishing, for rollouts that start from an artifact. */
  readonly code: SimCodeRelease;
  /** The rollout state machine's executions: the rehearsal's, and each continuation of a long rollout. */
  readonly workflow: SimWorkflow;
  /** Answers to the workflow's `.waitForTaskToken` states. */
  readonly tokens: SimTaskTokens;
  /** The rollouts' control records (gates, pause, promote). */
  readonly controls: InMemoryControlStore;
  /** Scripted hook functions; each registered one is an allowed hook. */
  readonly hooks: SimHooks;
  /** "1": the version the alias is on before the rollout. */
  readonly baselineVersion: string;
  /** "2": the published version to roll out. */
  readonly targetVersion: string;

  constructor(options: WorldOptions) {
    this.functionName = options.functionName ?? 'orders';
    this.alias = options.alias ?? 'live';
    this.startTime = options.startTime ?? DEFAULT_START_TIME;
    this.idleAt = this.startTime;
    const random = new Random(options.seed ?? 1);
    this.cloudwatch = new SimCloudWatch({
      ...(options.metricDelaySeconds !== undefined ? { delaySeconds: options.metricDelaySeconds } : {}),
      clock: () => this.now(),
      beforeRead: (now) => this.settle(now),
    });
    this.lambda = new SimLambda({ now: () => this.now(), beforeAliasChange: (_, alias) => this.advance(this.now(), alias) });
    this.lambda.createFunction(this.functionName);
    this.baselineVersion = this.lambda.publishVersion(this.functionName);
    this.targetVersion = this.lambda.publishVersion(this.functionName);
    this.lambda.addAlias(this.functionName, this.alias, this.baselineVersion);
    this.traffic = new TrafficModel({
      functionName: this.functionName,
      alias: this.alias,
      rate: options.rate,
      versions: { [this.baselineVersion]: options.baseline, [this.targetVersion]: options.target },
      // A version published during the run (a release's) is the new code: it behaves as the target.
      defaultProfile: options.target,
      random: random.fork(),
      cloudwatch: this.cloudwatch,
      startTime: this.startTime,
      ...(options.trafficSliceSeconds !== undefined ? { sliceSeconds: options.trafficSliceSeconds } : {}),
      ...(options.timelineSeconds !== undefined ? { timelineSeconds: options.timelineSeconds } : {}),
    });
    this.notifier = new RecordingNotifier();
    this.events = new RecordingNotifier();
    this.invoker = new SimInvoker(this.traffic, random.fork());
    this.registry = new InMemoryRolloutRegistry();
    this.code = new SimCodeRelease(this.lambda, { now: () => this.now(), updateMs: (options.codeUpdateSeconds ?? 5) * 1000 });
    this.workflow = new SimWorkflow(this);
    this.tokens = new SimTaskTokens();
    this.controls = new InMemoryControlStore();
    this.hooks = new SimHooks(this.tokens, this.invoker);
    if (options.historySeconds) this.recordHistory(options.historySeconds, options.rate, options.baseline.errorRate);
  }

  /** The baseline's expected traffic for `seconds` before the start, minute by minute, as Lambda would have published it. */
  private recordHistory(seconds: number, rate: WorldOptions['rate'], errorRate: number): void {
    const resource = `${this.functionName}:${this.alias}`;
    const dimensions = { FunctionName: this.functionName, Resource: resource, ExecutedVersion: this.baselineVersion };
    const perMinute = (typeof rate === 'number' ? rate : rate(0)) * 60;
    for (let at = this.startTime - Math.ceil(seconds / 60) * 60_000; at < this.startTime; at += 60_000) {
      const invocations = Math.round(perMinute);
      this.cloudwatch.putAggregate('AWS/Lambda', 'Invocations', dimensions, at, MetricAggregate.binary(invocations, invocations));
      this.cloudwatch.putAggregate('AWS/Lambda', 'Errors', dimensions, at, MetricAggregate.binary(invocations, Math.round(invocations * errorRate)));
    }
  }

  /** The alias as it routes now. */
  get aliasState(): AliasState {
    return this.lambda.peekAlias(this.functionName, this.alias);
  }

  /**
   * The world's time: virtual while a run is in progress; before it, the start time, so that
   * set-up (alarms, external alias changes) happens at the start of the world, not today; after
   * it, the moment it ended, so that what the run left (metrics, the alias) is read as of then.
   */
  now(): number {
    return this.running ? Date.now() : this.idleAt;
  }

  /**
   * The alarm a CodeDeploy user typically sets on the alias: its `Errors` in a minute at or above
   * `threshold`, missing data not breaching.
   *
   * @example world.putAliasErrorAlarm('orders-errors', 1)
   */
  putAliasErrorAlarm(alarmName: string, threshold: number): void {
    this.cloudwatch.putMetricAlarm({
      alarmName,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: this.functionName, Resource: `${this.functionName}:${this.alias}` },
      stat: 'Sum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
  }

  /** Generates traffic up to `now` with the alias's current routing. */
  settle(now = this.now()): void {
    this.advance(now, this.aliasState);
  }

  /**
   * Runs the real workflow in this world, in virtual time from `startTime`. Traffic flows only
   * while a run is in progress: set-up before it (at the real time of day) generates none.
   */
  async rehearse(input: unknown, options: Partial<Omit<RunWorkflowOptions, 'input'>> = {}): Promise<WorkflowRun> {
    this.running = true;
    try {
      const run = await runWorkflow({ ports: this.ports(), startTime: this.startTime, ...options, input });
      this.idleAt = run.endedAt;
      return run;
    } finally {
      this.running = false;
    }
  }

  private running = false;
  private idleAt: number;

  private advance(now: number, alias: Pick<AliasState, 'functionVersion' | 'routing'>): void {
    if (this.running) this.traffic.advanceTo(now, alias);
  }

  /** The ports the workflow's tasks run over in this world. */
  ports(): TaskPorts & { readonly workflow: SimWorkflow } {
    return {
      lambda: this.lambda,
      metrics: this.cloudwatch,
      alarms: {
        describeAlarms: async (names) =>
          this.cloudwatch.describeAlarms(names).map((a) => ({ name: a.alarmName, state: a.stateValue, reason: a.stateReason })),
      },
      invoker: {
        invoke: (functionName, qualifier, payload) =>
          this.hooks.has(functionName) ? this.hooks.invoke(functionName, payload as HookEvent) : this.invoker.invoke(functionName, qualifier ?? '', payload),
      },
      notifier: this.notifier,
      events: this.events,
      registry: this.registry,
      code: this.code,
      workflow: this.workflow,
      concurrency: this.lambda,
      eventSources: this.lambda,
      controls: this.controls,
      tokens: this.tokens,
      clock: systemClock,
      allowedFunctions: [this.functionName],
      allowedHooks: this.hooks.names,
    };
  }
}
