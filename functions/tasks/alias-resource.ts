/**
 * The `Custom::LambdaRollout` provider (the CDK provider framework's `onEvent` and `isComplete`),
 * over ports. `onEvent` answers each CloudFormation request first: it checks the properties, then
 * creates the alias, starts a rollout, or stops one of this resource's rollouts heading elsewhere.
 * `isComplete`, polled until it answers or throws, looks again and acts again with the same rule
 * (`nextAliasStep`): success once the alias is wholly on the version (or, with `Wait: false`, once
 * the rollout has started), failure when the rollout ended any other way, so CloudFormation rolls
 * the stack back as it does for SAM's DeploymentPreference. Every step is idempotent: a retried or
 * repeated call finds what the last one did.
 */
import { ABORT_ERROR, startInput } from '../core/api.js';
import {
  type AliasRequest,
  type AliasResource,
  AliasResourceError,
  type AliasStep,
  aliasArnOf,
  allowedRef,
  nextAliasStep,
  parseAliasResource,
  physicalIdOf,
  RESOURCE_TYPE,
  requestRolloutId,
  resourceAlias,
  resourceOwner,
} from '../core/alias-resource.js';
import { ErrorName, InvalidInputError, NotFoundError, RolloutError, UpdateInProgressError } from '../core/errors.js';
import { functionNameOf } from '../core/function-ref.js';
import { LockHeldError } from '../core/registry.js';
import { logger } from '../logger.js';
import type { Clock, LambdaControl, RolloutRegistry, Workflow } from '../ports.js';
import { startFacts, startWithLock } from './start-with-lock.js';

/** A CloudFormation custom resource request, as the provider framework hands it on. */
export interface AliasResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly RequestId: string;
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType?: string;
  /** Sent with Update and Delete. */
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  /** Sent with Update: the properties before it (on an update-rollback, those of the failed update). */
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
}

/** `onEvent`'s answer; the framework passes its fields on to every `isComplete` call. */
export interface AliasResourceStarted {
  readonly PhysicalResourceId: string;
  /** The rollout the request follows (the one it started, or one of this resource it found on the way). */
  readonly RolloutId?: string;
  /** When the request began, ISO. */
  readonly StartedAt: string;
}

export type IsCompleteEvent = AliasResourceEvent & Partial<AliasResourceStarted>;

/** `isComplete`'s answer. `Data` (when complete) holds the resource's attributes for `Fn::GetAtt`. */
export interface IsCompleteAnswer {
  readonly IsComplete: boolean;
  readonly Data?: Readonly<Record<string, string>>;
}

export interface AliasResourcePorts {
  readonly lambda: Pick<LambdaControl, 'getAlias' | 'createAlias'>;
  readonly registry: Pick<RolloutRegistry, 'acquire' | 'release' | 'finish' | 'getLock' | 'get'>;
  readonly workflow: Pick<Workflow, 'executionArnFor' | 'start' | 'describe' | 'stop'>;
  readonly clock: Clock;
}

export interface AliasResourceConfig {
  /** The service's allowedFunctions: names, name patterns (`orders-*`) or function ARNs. */
  readonly allowedFunctions: readonly string[];
  /** How long CloudFormation may wait for one request, in seconds. */
  readonly waitSeconds: number;
}

/** The request's target: an alias to put on a version, an alias to let go of, or nothing of ours. */
type Target =
  | { readonly kind: 'put'; readonly resource: AliasResource; readonly functionRef: string }
  | { readonly kind: 'release'; readonly functionName: string; readonly alias: string }
  | { readonly kind: 'none' };

/**
 * What acting on a step came to: the request is done, still going (the next call looks again; a
 * call that has written something ends there), or should look again at once.
 */
type Acted = { readonly kind: 'done'; readonly reason: string } | { readonly kind: 'going'; readonly rolloutId?: string } | { readonly kind: 'again' };

/** The most a call looks and acts in a row (after a conflict: the alias created, or its lock taken, meanwhile). */
const MAX_ROUNDS = 3;

const transient = (error: unknown) =>
  error instanceof RolloutError && [ErrorName.Throttled, ErrorName.Transient, ErrorName.UpdateInProgress].includes(error.name as never);

/** Both handlers of the provider over their ports. */
export function makeAliasResource(ports: AliasResourcePorts, config: AliasResourceConfig) {
  const { lambda, registry, workflow, clock } = ports;

  function targetOf(event: AliasResourceEvent): Target {
    if (event.RequestType === 'Delete') {
      // A Delete lets go of the alias its physical id names; anything else (a failed create's
      // marker, properties that never named an alias) was never ours.
      const named = resourceAlias(event.ResourceProperties);
      return named && physicalIdOf(named.functionName, named.alias) === event.PhysicalResourceId ? { kind: 'release', ...named } : { kind: 'none' };
    }
    let resource: AliasResource;
    try {
      resource = parseAliasResource(event.ResourceProperties, { waitSeconds: config.waitSeconds });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      throw new AliasResourceError(`${RESOURCE_TYPE} ${event.LogicalResourceId}: ${error.issues.map((i) => `${i.field}: ${i.rule}`).join('; ')}`);
    }
    const functionRef = allowedRef(resource.functionName, config.allowedFunctions);
    if (functionRef === undefined) {
      throw new AliasResourceError(
        `${RESOURCE_TYPE} ${event.LogicalResourceId}: FunctionName: ${resource.functionName} is not one of the functions this lambda-rollout ` +
          `service may roll out (allowedFunctions: ${config.allowedFunctions.join(', ')}); add it to the LambdaRollout construct's allowedFunctions`,
      );
    }
    return { kind: 'put', resource, functionRef };
  }

  function requestOf(event: AliasResourceEvent, target: Exclude<Target, { kind: 'none' }>, startedAt: number, rolloutId?: string): AliasRequest {
    const version = target.kind === 'put' ? target.resource.version : '';
    const { functionName, alias } = target.kind === 'put' ? target.resource : target;
    return {
      kind: target.kind,
      version,
      owner: resourceOwner(event.StackId, event.LogicalResourceId),
      rolloutId: rolloutId ?? requestRolloutId(functionName, alias, version, event.RequestId),
      startedAt,
      wait: target.kind === 'put' ? target.resource.wait : true,
    };
  }

  async function look(target: Exclude<Target, { kind: 'none' }>, request: AliasRequest) {
    const ref = target.kind === 'put' ? target.functionRef : target.functionName;
    const name = target.kind === 'put' ? target.resource.alias : target.alias;
    const [alias, lock, rollout] = await Promise.all([
      target.kind === 'put'
        ? lambda.getAlias(ref, name).catch((error: unknown) => {
            if (error instanceof NotFoundError) return undefined;
            throw error;
          })
        : undefined,
      registry.getLock(ref, name),
      registry.get(request.rolloutId),
    ]);
    return { alias, lock, rollout, now: clock.now() };
  }

  async function act(step: AliasStep, target: Exclude<Target, { kind: 'none' }>, request: AliasRequest): Promise<Acted> {
    switch (step.kind) {
      case 'done':
        return { kind: 'done', reason: step.reason };
      case 'fail':
        throw new AliasResourceError(step.reason);
      case 'follow':
        return { kind: 'going', rolloutId: step.rolloutId };
      case 'create': {
        if (target.kind !== 'put') return { kind: 'again' };
        try {
          await lambda.createAlias(target.functionRef, target.resource.alias, target.resource.version);
        } catch (error) {
          // Created meanwhile (a retried call, or someone else): look again.
          if (!(error instanceof UpdateInProgressError)) throw error;
          return { kind: 'again' };
        }
        // The next look (isComplete's) finds it whole on the version: nothing after a write may fail this call.
        return { kind: 'going' };
      }
      case 'start': {
        if (target.kind !== 'put') return { kind: 'again' };
        const parsed = { ...target.resource.rollout, input: { ...target.resource.rollout.input, functionName: target.functionRef } };
        const name = request.rolloutId;
        try {
          await startWithLock(ports, {
            name,
            facts: startFacts(parsed, name, workflow.executionArnFor(name), clock.now()),
            startedBy: request.owner,
            input: startInput(parsed, name),
          });
        } catch (error) {
          // Someone took the alias first: the next look names them.
          if (!(error instanceof LockHeldError)) throw error;
          return { kind: 'again' };
        }
        return { kind: 'going', rolloutId: name };
      }
      case 'stop': {
        const { executionArn } = step.lock;
        const running = await workflow.describe(executionArn).then(
          (info) => info.status === 'RUNNING',
          (error: unknown) => {
            if (error instanceof NotFoundError) return false;
            throw error;
          },
        );
        if (running) {
          logger.warn('stopping a rollout of this resource', { rolloutId: step.lock.rolloutId, executionArn, cause: step.cause });
          await workflow.stop(executionArn, { error: ABORT_ERROR, cause: step.cause });
        }
        if (step.fail) throw new AliasResourceError(step.fail);
        return { kind: 'going' };
      }
    }
  }

  /** Looks, decides and acts until the request is done, still going, or has looked enough for one call. */
  async function advance(target: Exclude<Target, { kind: 'none' }>, request: AliasRequest) {
    let current = request;
    let seen: Awaited<ReturnType<typeof look>> | undefined;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      seen = await look(target, current);
      const step = nextAliasStep(current, seen);
      logger.info(`${RESOURCE_TYPE} step`, { step: step.kind, ...('reason' in step ? { reason: step.reason } : {}), rolloutId: current.rolloutId });
      const acted = await act(step, target, current);
      if (acted.kind === 'going' && acted.rolloutId !== undefined) current = { ...current, rolloutId: acted.rolloutId };
      if (acted.kind !== 'again') return { acted, request: current, seen };
    }
    return { acted: { kind: 'going' } as Acted, request: current, seen };
  }

  /** The resource's attributes (`Fn::GetAtt`): the alias, the version, and the rollout that brought it there, if one did. */
  function attributes(event: AliasResourceEvent, target: Exclude<Target, { kind: 'none' }>, rolloutId: string | undefined): Record<string, string> {
    if (target.kind !== 'put') return {};
    const { resource } = target;
    return {
      AliasArn: aliasArnOf(target.functionRef, resource.alias, event.StackId),
      AliasName: resource.alias,
      FunctionName: functionNameOf(target.functionRef),
      Version: resource.version,
      RolloutId: rolloutId ?? '',
    };
  }

  /** The first call for a request: check, then take the first step. Throws to fail the request at once. */
  async function onEvent(event: AliasResourceEvent): Promise<AliasResourceStarted> {
    const startedAt = clock.now();
    const target = targetOf(event);
    if (target.kind === 'none') return { PhysicalResourceId: event.PhysicalResourceId ?? event.RequestId, StartedAt: new Date(startedAt).toISOString() };
    const { request } = await advance(target, requestOf(event, target, startedAt));
    const { functionName, alias } = target.kind === 'put' ? target.resource : target;
    return {
      // For a Delete, the same id it came with (targetOf made sure it names this alias).
      PhysicalResourceId: physicalIdOf(functionName, alias),
      RolloutId: request.rolloutId,
      StartedAt: new Date(startedAt).toISOString(),
    };
  }

  /**
   * Each later poll: look and act again. Complete when the step is done; throws (the request fails)
   * when the rollout ended any other way. AWS throttling and outages answer "not yet".
   */
  async function isComplete(event: IsCompleteEvent): Promise<IsCompleteAnswer> {
    const target = targetOf(event);
    if (target.kind === 'none') return { IsComplete: true };
    const startedAt = event.StartedAt ? Date.parse(event.StartedAt) : clock.now();
    const request = { ...requestOf(event, target, startedAt, event.RolloutId), deadline: startedAt + config.waitSeconds * 1000 };
    try {
      const { acted, seen } = await advance(target, request);
      if (acted.kind !== 'done') return { IsComplete: false };
      return { IsComplete: true, Data: attributes(event, target, seen?.rollout?.rolloutId) };
    } catch (error) {
      if (!transient(error)) throw error;
      logger.warn('AWS is slow or throttling; the next poll tries again', { error: error as Error });
      return { IsComplete: false };
    }
  }

  return { onEvent, isComplete };
}
