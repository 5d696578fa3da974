/**
 * Finding the deployed service: the standard AWS credential chain (environment, profiles, SSO, the
 * web identity of a CI job, instance roles) and region, then the stack's outputs by their stable
 * keys (DescribeStacks), which give the API's URL and the state machine.
 */
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { STACK_OUTPUTS, type StackOutputKey } from '../../functions/names.js';
import { type CommandFailure, UnreachableError, UsageError } from '../exit.js';
import type { CredentialsProvider } from './api-client.js';

/** The options every command that talks to AWS takes. */
export interface AwsOptions {
  /** The stack's name. */
  readonly stack: string;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
}

/** The SDK clients' settings: the same region, credentials and retries for every client. */
export interface ClientConfig {
  readonly region: string;
  readonly credentials: CredentialsProvider;
  readonly maxAttempts: number;
}

/** The deployed service, as its stack describes it. */
export interface Service {
  readonly stackName: string;
  readonly region: string;
  readonly credentials: CredentialsProvider;
  readonly clientConfig: ClientConfig;
  /** The API's stage URL, ending in `/`. */
  readonly apiUrl: string;
  /** The rollout state machine, for what the API has no route for (an artifact's execution). */
  readonly stateMachineArn?: string | undefined;
}

/** The SDK retries throttling and 5xx itself, up to this many attempts in all. */
const SDK_ATTEMPTS = 4;

/**
 * A stack output by its stable key. Stacks deployed before the outputs had stable keys carry
 * CDK's hashed logical ids instead (the key followed by 8 hex digits): one of those is taken too.
 *
 * @example outputValue([{ OutputKey: 'RolloutApiUrl', OutputValue: 'https://x/v1/' }], 'RolloutApiUrl') // 'https://x/v1/'
 */
export function outputValue(outputs: readonly Output[], key: StackOutputKey): string | undefined {
  const exact = outputs.find((o) => o.OutputKey === key);
  if (exact) return exact.OutputValue;
  const hashed = outputs.filter((o) => new RegExp(`^${key}[0-9A-F]{8}$`).test(o.OutputKey ?? ''));
  return hashed.length === 1 ? hashed[0]?.OutputValue : undefined;
}

/**
 * The failure an AWS SDK error means for the command: no credentials, access denied (naming the
 * permission), no such stack, or AWS out of reach. All exit 4, except a stack that is not there (2).
 */
export function awsFailure(error: unknown, context: { readonly call: string; readonly permission: string; readonly region: string; readonly stack?: string }): CommandFailure {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const name = e.name ?? '';
  const message = e.message ?? String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new UnreachableError([
      `no AWS credentials: ${message}`,
      '  configure a profile (aws configure, aws sso login) and pass --profile or set AWS_PROFILE, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,',
      '  or assume a role (in GitHub Actions: aws-actions/configure-aws-credentials with id-token: write)',
    ], {}, { cause: error });
  }
  const status = e.$metadata?.httpStatusCode;
  if (status === 403 || /AccessDenied|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch/.test(name)) {
    return new UnreachableError([`AWS denied ${context.call} (${name || status}): ${message}`, `  the caller needs ${context.permission}`], {}, { cause: error });
  }
  if (context.stack !== undefined && name === 'ValidationError' && /does not exist/.test(message)) {
    return new UsageError([`no stack ${context.stack} in ${context.region}: deploy it (npx cdk deploy), or pass --stack and --region for where it is`], {}, { cause: error });
  }
  return new UnreachableError([`could not call ${context.call} in ${context.region}: ${name ? `${name}: ` : ''}${message}`], {}, { cause: error });
}

/** The region to use: the option, else the SDK's own resolution (AWS_REGION, the profile's region). */
async function resolveRegion(options: AwsOptions, credentials: CredentialsProvider): Promise<string> {
  if (options.region) return options.region;
  try {
    const probe = new CloudFormationClient({ credentials, ...(options.profile ? { profile: options.profile } : {}) });
    const region = await probe.config.region();
    probe.destroy();
    if (region) return region;
  } catch {
    // No region anywhere: said below.
  }
  throw new UsageError(['no AWS region: pass --region, set AWS_REGION, or give your profile a region']);
}

/** Credentials and region from the standard chain, then the stack's outputs. */
export async function connect(options: AwsOptions): Promise<Service> {
  const credentials: CredentialsProvider = fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  const region = await resolveRegion(options, credentials);
  const clientConfig: ClientConfig = { region, credentials, maxAttempts: SDK_ATTEMPTS };
  const cloudformation = new CloudFormationClient({ ...clientConfig, ...(options.profile ? { profile: options.profile } : {}) });
  let outputs: readonly Output[];
  try {
    const answer = await cloudformation.send(new DescribeStacksCommand({ StackName: options.stack }));
    outputs = answer.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw awsFailure(error, { call: `DescribeStacks ${options.stack}`, permission: `cloudformation:DescribeStacks on the stack ${options.stack}`, region, stack: options.stack });
  } finally {
    cloudformation.destroy();
  }
  const apiUrl = outputValue(outputs, STACK_OUTPUTS.apiUrl);
  if (!apiUrl) {
    const keys = outputs.map((o) => o.OutputKey).join(', ') || 'none';
    throw new UsageError([`stack ${options.stack} in ${region} has no ${STACK_OUTPUTS.apiUrl} output (its outputs: ${keys}); is it a lambda-rollout stack? pass --stack`]);
  }
  return { stackName: options.stack, region, credentials, clientConfig, apiUrl, stateMachineArn: outputValue(outputs, STACK_OUTPUTS.stateMachineArn) };
}
