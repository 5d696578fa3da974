/** LambdaControl over the AWS SDK v3 Lambda client. */
import {
  type AliasConfiguration,
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { RejectedError } from '../core/errors.js';
import type { AliasState, AliasUpdate, VersionConfig } from '../core/lambda-model.js';
import type { LambdaControl } from '../ports.js';
import { mapAwsErrors } from './errors.js';

/**
 * Lambda's 0..1 weight as the model's percent, rounded to 2 decimals so that 0.1 reads 10, not
 * 10.000000000000002.
 *
 * @example fractionToPercent(0.125) // 12.5
 */
export function fractionToPercent(weight: number): number {
  return Math.round(weight * 10_000) / 100;
}

/**
 * The model's percent as Lambda's 0..1 weight, rounded to 4 decimals.
 *
 * @example percentToFraction(12.5) // 0.125
 */
export function percentToFraction(percent: number): number {
  return Math.round(percent * 100) / 10_000;
}

function toAliasState(alias: string, config: AliasConfiguration): AliasState {
  const routing: Record<string, number> = {};
  for (const [version, weight] of Object.entries(config.RoutingConfig?.AdditionalVersionWeights ?? {})) {
    // A 0 weight sends no traffic; the model only lists versions that get some.
    if (weight > 0) routing[version] = fractionToPercent(weight);
  }
  return {
    name: config.Name ?? alias,
    functionVersion: config.FunctionVersion ?? '',
    routing,
    // An empty RevisionId makes updateAlias refuse, rather than write without the precondition.
    revisionId: config.RevisionId ?? '',
  };
}

/** Lambda's alias control plane through a `LambdaClient`. Every failure is a `core/errors.ts` class. */
export class AwsLambdaControl implements LambdaControl {
  constructor(private readonly client: LambdaClient) {}

  /** GetFunctionConfiguration for one version. */
  async getVersion(functionName: string, version: string): Promise<VersionConfig> {
    const out = await mapAwsErrors(`GetFunctionConfiguration ${functionName}:${version}`, () =>
      this.client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: version })),
    );
    return {
      functionName: out.FunctionName ?? functionName,
      functionArn: out.FunctionArn ?? '',
      version: out.Version ?? version,
      state: out.State ?? 'Unknown',
      lastUpdateStatus: out.LastUpdateStatus ?? 'Unknown',
      role: out.Role ?? '',
      deadLetterTargetArn: out.DeadLetterConfig?.TargetArn,
      codeSha256: out.CodeSha256,
    };
  }

  /** GetAlias, with the routing weights in percent. */
  async getAlias(functionName: string, alias: string): Promise<AliasState> {
    const out = await mapAwsErrors(`GetAlias ${functionName}:${alias}`, () =>
      this.client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias })),
    );
    return toAliasState(alias, out);
  }

  /**
   * UpdateAlias conditioned on the RevisionId last seen; returns the alias as Lambda now has it,
   * with its new RevisionId.
   */
  async updateAlias(update: AliasUpdate): Promise<AliasState> {
    const context = `UpdateAlias ${update.functionName}:${update.alias}`;
    if (!update.revisionId) {
      // Without a RevisionId Lambda writes unconditionally and could overwrite someone else's change.
      throw new RejectedError(`${context}: refusing to update the alias without the RevisionId last seen`);
    }
    const weights: Record<string, number> = {};
    for (const [version, percent] of Object.entries(update.routing)) {
      if (!Number.isFinite(percent) || percent < 0 || percent >= 100) {
        throw new RejectedError(`${context}: weight ${percent}% for version ${version} is not between 0 and 100`);
      }
      if (percent > 0) weights[version] = percentToFraction(percent);
    }
    const out = await mapAwsErrors(context, () =>
      this.client.send(
        new UpdateAliasCommand({
          FunctionName: update.functionName,
          Name: update.alias,
          FunctionVersion: update.functionVersion,
          RevisionId: update.revisionId,
          // Always sent, even empty: UpdateAlias changes only the fields in the request
          // (RoutingConfig is optional, "Required: No", in
          // https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html), and the Lambda
          // developer guide resets the routing when promoting with an explicit empty map,
          // `aws lambda update-alias ... --function-version 2 --routing-config AdditionalVersionWeights={}`
          // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html#configuring-routing).
          // Leaving it out would keep the old split next to the new primary version.
          RoutingConfig: { AdditionalVersionWeights: weights },
        }),
      ),
    );
    return toAliasState(update.alias, out);
  }

  /** CreateAlias on one version, without routing: the alias starts whole. */
  async createAlias(functionName: string, alias: string, functionVersion: string): Promise<AliasState> {
    const out = await mapAwsErrors(`CreateAlias ${functionName}:${alias}`, () =>
      this.client.send(new CreateAliasCommand({ FunctionName: functionName, Name: alias, FunctionVersion: functionVersion })),
    );
    return toAliasState(alias, out);
  }
}
