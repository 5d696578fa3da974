/**
 * `ProgressiveAlias`: an alias in your own stack that deployments move by a rollout, the analogue
 * of aws-codedeploy's `LambdaDeploymentGroup` with an `AutoPublishAlias`. The first deployment
 * creates the alias on the version; each later deployment that publishes a new version starts a
 * rollout to it, and the stack update succeeds when the rollout promotes and fails when it rolls
 * back, so CloudFormation rolls your stack back. It is a `Custom::LambdaRollout` resource served by
 * the lambda-rollout service stack (its `LambdaRollout` construct, or its exported service token).
 */
import { CustomResource, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { parseAliasResource, RESOURCE_TYPE } from '../functions/core/alias-resource.js';
import { InvalidInputError } from '../functions/core/errors.js';
import type { RolloutInputSchema } from '../functions/core/input.js';
import { ALIAS_PROVIDER_WAIT, DEFAULT_SERVICE_TOKEN_EXPORT } from './alias-provider.js';
import type { LambdaRollout } from './lambda-rollout.js';

/**
 * What every rollout of the alias runs with: the rollout input's options (`strategy`, `health`,
 * `notifications`, and whatever else the rollout input takes), without the function, alias,
 * version and ids, which the resource sets.
 */
export type RolloutOptions = Readonly<Omit<z.input<typeof RolloutInputSchema>, 'functionName' | 'alias' | 'targetVersion' | 'release' | 'rolloutId'>>;

/** Properties of {@link ProgressiveAlias}. Every rollout option is documented in the README's input reference. */
export interface ProgressiveAliasProps extends RolloutOptions {
  /**
   * The published version the alias should route to: usually `fn.currentVersion`, which CDK
   * publishes anew whenever the function's code or configuration changes.
   */
  readonly version: lambda.IVersion;
  /** The alias's name, e.g. `live`: 1-128 letters, digits, `-` or `_`, not all digits. */
  readonly aliasName: string;
  /**
   * The lambda-rollout service, when it is in the same CDK app (another stack is fine: CDK exports
   * and imports its service token). Give this or {@link serviceToken}.
   * @default - use serviceToken
   */
  readonly rollout?: LambdaRollout;
  /**
   * The service token of a lambda-rollout service deployed apart, e.g.
   * `ProgressiveAlias.importServiceToken()` (the service stack's export). Give this or {@link rollout}.
   * @default - use rollout
   */
  readonly serviceToken?: string;
  /**
   * CloudWatch alarms watched during each rollout: any in ALARM rolls back (added to
   * `health.alarms.names`). More can be added with {@link ProgressiveAlias.addAlarm}.
   * @default - none beyond health.alarms.names
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * Whether the deployment waits for the rollout to end (success on promotion, failure and a stack
   * rollback on rollback). CloudFormation may wait about two hours; with `false`, the deployment
   * succeeds once the rollout has started, and the rollout's ending is told by its notifications only.
   * @default true
   */
  readonly wait?: boolean;
}

/** The construct's own props: everything else is a rollout option. */
const OWN_PROPS = ['version', 'aliasName', 'rollout', 'serviceToken', 'alarms', 'wait'] as const;

/** Where a resource property is set among the construct's props. */
function propOf(field: string): string {
  if (field === 'AliasName') return 'aliasName';
  if (field === 'Version') return 'version';
  if (field === 'FunctionName') return 'version.lambda';
  if (field === 'Wait') return 'wait';
  return field.replace(/^Rollout\./, '');
}

/** The value at a dotted path such as `strategy.steps[0].weightPercent`, to show what was received. */
function valueAt(root: unknown, field: string): unknown {
  return field
    .split(/\.|\[(\d+)\]/)
    .filter((key) => key !== undefined && key !== '')
    .reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), root);
}

/**
 * An alias that each deployment moves to the new version by a rollout.
 *
 * @example
 * const fn = new lambda.Function(this, 'Orders', { ... });
 * new ProgressiveAlias(this, 'Live', {
 *   version: fn.currentVersion,
 *   aliasName: 'live',
 *   serviceToken: ProgressiveAlias.importServiceToken(),
 *   strategy: 'Canary10Percent5Minutes',
 *   alarms: [errorsAlarm],
 * });
 */
export class ProgressiveAlias extends Construct {
  /**
   * The service token a lambda-rollout service stack exports (`Fn::ImportValue`).
   * @param exportName the service's `serviceTokenExportName`
   */
  static importServiceToken(exportName: string = DEFAULT_SERVICE_TOKEN_EXPORT): string {
    return Fn.importValue(exportName);
  }

  /** The alias, for event sources and grants: it depends on the resource, so it exists before they do. */
  public readonly alias: lambda.IAlias;
  /** The alias's ARN. */
  public readonly aliasArn: string;
  public readonly aliasName: string;
  /** The rollout of the last deployment that started one (`Fn::GetAtt RolloutId`); empty when none did. */
  public readonly rolloutId: string;
  /** The `Custom::LambdaRollout` resource. */
  public readonly resource: CustomResource;
  private readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: ProgressiveAliasProps) {
    super(scope, id);
    const serviceToken = ProgressiveAlias.serviceTokenOf(props);
    if (props.version.version === '$LATEST') {
      throw new Error(`version must be a published version (fn.currentVersion); $LATEST cannot be routed by weight; received ${props.version.node.path}`);
    }
    const options = Object.fromEntries(Object.entries(props).filter(([key, value]) => value !== undefined && !(OWN_PROPS as readonly string[]).includes(key))) as RolloutOptions;
    this.alarmNames.push(...(props.alarms ?? []).map((alarm) => alarm.alarmName));
    const rollout = () => this.rolloutOptions(options);
    this.check(props, rollout());

    this.aliasName = props.aliasName;
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken,
      resourceType: RESOURCE_TYPE,
      properties: {
        FunctionName: props.version.lambda.functionName,
        AliasName: props.aliasName,
        Version: props.version.version,
        // As JSON, so that numbers and booleans arrive as they are (CloudFormation sends every scalar property as a string).
        Rollout: Lazy.string({ produce: () => Stack.of(this).toJsonString(rollout()) }),
        Wait: props.wait ?? true,
      },
    });
    this.aliasArn = this.resource.getAttString('AliasArn');
    this.rolloutId = this.resource.getAttString('RolloutId');
    this.alias = lambda.Alias.fromAliasAttributes(this, 'Alias', { aliasName: this.resource.getAttString('AliasName'), aliasVersion: props.version });
  }

  /** Watches one more CloudWatch alarm during each rollout: in ALARM, the rollout rolls back. */
  addAlarm(alarm: cloudwatch.IAlarm): void {
    this.alarmNames.push(alarm.alarmName);
  }

  private static serviceTokenOf(props: ProgressiveAliasProps): string {
    if (props.rollout && props.serviceToken) throw new Error('give either rollout or serviceToken, not both');
    const token = props.serviceToken ?? props.rollout?.serviceToken;
    if (token === undefined) {
      throw new Error(
        'ProgressiveAlias needs the lambda-rollout service: give rollout (its LambdaRollout construct, in the same app) or ' +
          `serviceToken (the service stack's export, ProgressiveAlias.importServiceToken() for '${DEFAULT_SERVICE_TOKEN_EXPORT}')`,
      );
    }
    return token;
  }

  /** The options with the alarms given to the construct added to the health policy's. */
  private rolloutOptions(options: RolloutOptions): RolloutOptions {
    if (this.alarmNames.length === 0) return options;
    const health = (options.health ?? {}) as { alarms?: { names?: string[] } };
    return { ...options, health: { ...health, alarms: { ...health.alarms, names: [...(health.alarms?.names ?? []), ...this.alarmNames] } } } as RolloutOptions;
  }

  /** Checks the props with the same rules the service applies at deploy time, naming the prop and the value received. */
  private check(props: ProgressiveAliasProps, rollout: RolloutOptions): void {
    const orStandIn = (value: string, standIn: string) => (Token.isUnresolved(value) ? standIn : value);
    try {
      parseAliasResource(
        {
          FunctionName: orStandIn(props.version.lambda.functionName, 'function'),
          AliasName: props.aliasName,
          Version: orStandIn(props.version.version, '1'),
          Rollout: rollout,
          Wait: props.wait ?? true,
        },
        { waitSeconds: ALIAS_PROVIDER_WAIT.toSeconds() },
      );
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      const given = { ...rollout, aliasName: props.aliasName, wait: props.wait };
      throw new Error(
        error.issues
          .map((issue) => {
            const prop = propOf(issue.field);
            const value = valueAt(given, prop);
            return `${prop}: ${issue.rule}${value === undefined ? '' : `; received ${JSON.stringify(value)}`}`;
          })
          .join('\n'),
      );
    }
  }
}
