/**
 * The capabilities the rollout tasks need from the outside world. Each has an AWS adapter in
 * `functions/aws/` and an in-memory twin in `sim/`, so the same handlers run on Lambda, in the
 * rehearsal and in tests.
 */
import type { EventSourceMapping, ProvisionedConfig } from './core/concurrency.js';
import type { RolloutControl } from './core/control.js';
import type { AliasState, AliasUpdate, VersionConfig } from './core/lambda-model.js';
import type { MetricQuery, MetricSeries } from './core/evidence.js';
import type { Notification } from './core/notification.js';
import type { MetricEmission } from './core/service-metrics.js';

// The health checks build their queries as data in core; the metrics port sends them as they are.
export type { MetricQuery, MetricSeries } from './core/evidence.js';

/** Lambda's alias control plane. Errors are the classes in `core/errors.ts`. */
export interface LambdaControl {
  /** GetFunctionConfiguration for one version. Throws NotFoundError when function or version is missing. */
  getVersion(functionName: string, version: string): Promise<VersionConfig>;
  /** GetAlias. Throws NotFoundError when the function or alias is missing. */
  getAlias(functionName: string, alias: string): Promise<AliasState>;
  /**
   * UpdateAlias with the RevisionId last seen. Throws DriftError when the alias changed since,
   * UpdateInProgressError while Lambda is busy with the function, Throttled/Transient errors.
   */
  updateAlias(update: AliasUpdate): Promise<AliasState>;
  /**
   * CreateAlias on a published version, routing wholly to it. Throws NotFoundError when the function
   * or version is missing, UpdateInProgressError (HTTP 409) when the alias exists already.
   */
  createAlias(functionName: string, alias: string, functionVersion: string): Promise<AliasState>;
}

export interface MetricDataRequest {
  readonly queries: readonly MetricQuery[];
  /** Epoch milliseconds, inclusive. */
  readonly startTime: number;
  /** Epoch milliseconds, exclusive. */
  readonly endTime: number;
}

/** CloudWatch GetMetricData, reduced to what the health checks need. */
export interface MetricsReader {
  getMetricData(request: MetricDataRequest): Promise<MetricSeries[]>;
}

/** CloudWatch alarm states (DescribeAlarms). */
export interface AlarmReader {
  /** The named metric and composite alarms that exist; missing names are absent from the answer. */
  describeAlarms(names: readonly string[]): Promise<{ name: string; state: string; reason?: string | undefined }[]>;
}

/** The answer to one direct invocation of a function version. */
export interface InvocationResult {
  readonly statusCode: number;
  /** Set when the function threw (Lambda's X-Amz-Function-Error: Handled or Unhandled). */
  readonly functionError?: string | undefined;
  /** The response payload as text. */
  readonly payload: string;
}

/** Invokes a function synchronously: a version (synthetic probes, the smoke test) or a hook (its alias or version when given). */
export interface Invoker {
  invoke(functionName: string, qualifier: string | undefined, payload: unknown): Promise<InvocationResult>;
}

/**
 * Provisioned concurrency and the concurrency it draws on (Lambda). Errors are the classes in
 * `core/errors.ts`; a configuration Lambda refuses (too much, a conflict) is a RejectedError.
 */
export interface ConcurrencyControl {
  /** GetProvisionedConcurrencyConfig; undefined when the version or alias has none. */
  getProvisioned(functionName: string, qualifier: string): Promise<ProvisionedConfig | undefined>;
  /** ListProvisionedConcurrencyConfigs: every configuration of the function's versions and aliases. */
  listProvisioned(functionName: string): Promise<ProvisionedConfig[]>;
  /** PutProvisionedConcurrencyConfig. */
  putProvisioned(functionName: string, qualifier: string, executions: number): Promise<ProvisionedConfig>;
  /** DeleteProvisionedConcurrencyConfig; false when there was none (already removed). */
  deleteProvisioned(functionName: string, qualifier: string): Promise<boolean>;
  /** GetFunctionConcurrency: the function's reserved concurrency, undefined when it has none. */
  getReservedConcurrency(functionName: string): Promise<number | undefined>;
  /** GetAccountSettings: the account's unreserved concurrency in this region. */
  getUnreservedConcurrency(): Promise<number>;
}

/** The event source mappings that invoke a function or alias (ListEventSourceMappings). */
export interface EventSources {
  listFor(functionArn: string): Promise<EventSourceMapping[]>;
}

/**
 * Answers to the workflow's `.waitForTaskToken` states (SendTaskSuccess / SendTaskFailure). A token
 * whose task is no longer waiting (answered, timed out) throws NotFoundError.
 */
export interface TaskTokens {
  succeed(token: string, output: unknown): Promise<void>;
  fail(token: string, error: string, cause: string): Promise<void>;
}

/**
 * Rollout control records (`core/control.ts`) in the registry table. Every write is conditional on
 * the version, so two requests never overwrite each other.
 */
export interface ControlStore {
  get(rolloutId: string): Promise<RolloutControl | undefined>;
  /** Writes the record if the stored one is at `control.version - 1` (none, for version 1); false when another write came first. */
  put(control: RolloutControl): Promise<boolean>;
}

/** Publishes rollout notifications (SNS on AWS). */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/**
 * The service's own metrics (`core/service-metrics.ts`): CloudWatch embedded metric format on AWS.
 * Sending never throws: a metric lost is never worth failing a rollout's task.
 */
export interface ServiceMetrics {
  emit(emission: MetricEmission): void;
}

/** Wall-clock time in epoch milliseconds. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Lambda's code control plane for releases: update `$LATEST` from one exact S3 object version, read the
 * update's status, publish a version of exactly that code. Errors are the classes in `core/errors.ts`.
 */
export interface CodeRelease {
  /** UpdateFunctionCode from the object version, without publishing. Throws UpdateInProgressError (409) while another update runs. */
  updateCode(functionName: string, location: import('./core/release.js').CodeLocation): Promise<import('./core/release.js').CodeUpdate>;
  /** GetFunctionConfiguration of `$LATEST`: state, LastUpdateStatus (and reason), CodeSha256, RevisionId. */
  getCodeStatus(functionName: string): Promise<import('./core/release.js').CodeStatus>;
  /**
   * PublishVersion conditioned on the CodeSha256 (and the RevisionId, when given). Throws DriftError when
   * `$LATEST` no longer has that code or revision: someone else changed it, and nothing is published.
   */
  publishVersion(
    functionName: string,
    request: { readonly codeSha256: string; readonly revisionId?: string | undefined; readonly description: string },
  ): Promise<{ version: string }>;
  /**
   * The newest published version with exactly this CodeSha256 and description (ListVersionsByFunction),
   * or undefined: how a release recognises the version its own PublishVersion created when the answer
   * was lost and the retry was refused.
   */
  findVersion(functionName: string, wanted: { readonly codeSha256: string; readonly description: string }): Promise<string | undefined>;
}

/** An artifact's object tags and user-defined metadata, read at one exact object version. */
export interface ArtifactReader {
  readArtifact(bucket: string, key: string, versionId: string): Promise<{ tags: Record<string, string>; metadata: Record<string, string> }>;
}

// ---------------------------------------------------------------------------------------------
// The service around the workflow: rollout registry and lock, idempotency, events, the workflow.

/**
 * The rollout registry: one lock per function alias and one record per rollout (DynamoDB on AWS,
 * `sim/registry.ts` in memory, with the same semantics). Errors are the classes in `core/errors.ts`.
 */
export interface RolloutRegistry {
  /**
   * Takes the alias's lock for the rollout and opens (or moves on) its record, atomically. A lock
   * held by the same rollout is confirmed (see `mayTakeLock`). Throws LockHeldError naming the
   * holder when another rollout holds it, RolloutIdTakenError when the id is used by another execution.
   */
  acquire(request: import('./core/registry.js').LockRequest): Promise<import('./core/registry.js').RolloutLock>;
  /**
   * Releases the lock if this rollout and execution hold it; true when it did. Someone else's
   * lock is left alone (a no-op, never a delete).
   */
  release(lock: { readonly functionName: string; readonly alias: string; readonly rolloutId: string; readonly executionArn: string }): Promise<boolean>;
  /** The alias's current lock, if any. */
  getLock(functionName: string, alias: string): Promise<import('./core/registry.js').RolloutLock | undefined>;
  /** Records where a rollout is; false (nothing written) once it has ended or belongs to another execution. */
  recordProgress(update: import('./core/registry.js').ProgressUpdate): Promise<boolean>;
  /** Keeps the detail of a rollout's latest check on its record; false (nothing written) once it has ended or belongs to another execution. */
  recordCheck(update: import('./core/registry.js').CheckUpdate): Promise<boolean>;
  /**
   * Records on the lock, held by the request's execution, the continuation it is about to start
   * (see `handOffAction`): true when recorded, or when that continuation holds the lock already;
   * false (nothing written) when the lock is neither's.
   */
  recordHandOff(request: import('./core/registry.js').HandOffRequest): Promise<boolean>;
  /**
   * Moves a running rollout's lock and record from one execution to its continuation, atomically,
   * clearing the hand-off (see `handOverAction`): true when they moved, now or by an earlier call;
   * false (nothing written) when the lock is not `from`'s with a hand-off to `to` and this digest.
   */
  handOver(request: import('./core/registry.js').HandOver): Promise<boolean>;
  /** Writes a rollout's ending; false (nothing written) when it already ended or belongs to another execution. */
  finish(ending: import('./core/registry.js').RolloutEnding): Promise<boolean>;
  get(rolloutId: string): Promise<import('./core/registry.js').RolloutRecord | undefined>;
  findByExecution(executionArn: string): Promise<import('./core/registry.js').RolloutRecord | undefined>;
  /** Newest first. Throws InvalidInputError for a token it did not issue. */
  list(query: import('./core/registry.js').RolloutQuery): Promise<import('./core/registry.js').RolloutPage>;
}

/** Idempotency keys for the API, kept 24 hours (`core/registry.ts`). */
export interface IdempotencyStore {
  /** Claims `key` for a request; when a live record holds it, returns that record and claims nothing. */
  claim(key: string, fingerprint: string, now: number): Promise<import('./core/registry.js').IdempotencyRecord | undefined>;
  /** Stores the answer under the key this request claimed. */
  complete(key: string, fingerprint: string, response: import('./core/registry.js').StoredResponse, now: number): Promise<void>;
  /** Drops this request's in-progress claim, so a retry is handled afresh. */
  forget(key: string, fingerprint: string): Promise<void>;
}

/** Publishes rollout events for machines (EventBridge on AWS). */
export interface EventPublisher {
  publish(notification: Notification): Promise<void>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** An execution as DescribeExecution reports it. */
export interface ExecutionInfo {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  /** ISO timestamps. */
  readonly startedAt: string;
  readonly stoppedAt?: string | undefined;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
  /** The execution's input, as started. */
  readonly input?: unknown;
}

/** The rollout state machine (Step Functions on AWS). Errors are the classes in `core/errors.ts`. */
export interface Workflow {
  /** The ARN the execution named `name` has (or will have) on this state machine. */
  executionArnFor(name: string): string;
  /**
   * StartExecution under `name`, which makes the start idempotent: an execution of that name already
   * started (running with the same input, or not) is reported (`alreadyStarted`), not thrown.
   */
  start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }>;
  /** StopExecution with an error name and a cause. */
  stop(executionArn: string, reason: { readonly error: string; readonly cause: string }): Promise<void>;
  /** DescribeExecution. Throws NotFoundError for an unknown execution. */
  describe(executionArn: string): Promise<ExecutionInfo>;
  /**
   * Reads the execution's history newest first and returns the first state input or output
   * `pick` accepts, or undefined when none does.
   */
  findInHistory<T>(executionArn: string, pick: (data: unknown) => T | undefined): Promise<T | undefined>;
}

/** New ids: short, random, safe in execution names. */
export interface IdGenerator {
  newId(): string;
}

/** 12 lower-case hex characters (48 random bits): unique enough for rollouts of one alias. */
export const randomIds: IdGenerator = { newId: () => globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 12) };
