/**
 * Reads the app's settings from CDK context (`-c key=value` or cdk.json): every prop of
 * {@link LambdaRolloutProps} that a string can say. Values arrive as strings from the command line and
 * as JSON from cdk.json; this turns them into props, and the construct checks their rules.
 */
import type { Node } from 'constructs';
import { InvalidPropError } from './errors.js';
import type { LambdaRolloutProps } from './lambda-rollout.js';

/** An example of each numeric context value, for the messages. */
const NUMBER_EXAMPLES = { apiRateLimitPerSecond: '10', apiBurstLimit: '20', logRetention: '365' } as const;

/**
 * The props of the app's {@link LambdaRollout} from context; absent keys are left to the construct's
 * defaults.
 *
 * @throws InvalidPropError naming the context key, how to pass it and the value received, when
 *   `allowedFunctions` is absent or a value cannot be read.
 */
export function rolloutPropsFromContext(node: Node): LambdaRolloutProps {
  return {
    allowedFunctions: readAllowedFunctions(node),
    allowedHooks: readAllowedHooks(node),
    notificationEmail: readNotificationEmail(node),
    artifactKeyPrefix: readArtifactKeyPrefix(node),
    apiRateLimitPerSecond: readNumber(node, 'apiRateLimitPerSecond'),
    apiBurstLimit: readNumber(node, 'apiBurstLimit'),
    logRetention: readNumber(node, 'logRetention'),
    removalPolicy: readRemovalPolicy(node),
  };
}

/**
 * `allowedFunctions` from context: a comma-separated string (`-c allowedFunctions=orders-*,payments`)
 * or an array (cdk.json). Blank items are dropped.
 *
 * @throws InvalidPropError saying how to pass it, when absent or empty.
 */
export function readAllowedFunctions(node: Node): string[] {
  const value: unknown = node.tryGetContext('allowedFunctions');
  const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  const list = items.map((item) => item.trim()).filter((item) => item.length > 0);
  if (list.length === 0) {
    throw new InvalidPropError(
      `Context 'allowedFunctions' is required: the functions rollouts may shift, as names, name patterns or ` +
        `function ARNs, comma-separated. Pass it with: npx cdk synth -c allowedFunctions='orders-*,payments' ` +
        `(received ${JSON.stringify(value)})`,
    );
  }
  return list;
}

/**
 * `allowedHooks` from context, optional: a comma-separated string (`-c allowedHooks=checks-*`) or an
 * array (cdk.json). Blank items are dropped; none leaves the smoke-test hook as the only allowed one.
 */
export function readAllowedHooks(node: Node): string[] | undefined {
  const value: unknown = node.tryGetContext('allowedHooks');
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}

/** `notificationEmail` from context, if set and not blank. */
export function readNotificationEmail(node: Node): string | undefined {
  const value: unknown = node.tryGetContext('notificationEmail');
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `artifactKeyPrefix` from context, if set (`-c artifactKeyPrefix=ci/releases/`); an empty string means no prefix. */
export function readArtifactKeyPrefix(node: Node): string | undefined {
  const value: unknown = node.tryGetContext('artifactKeyPrefix');
  return typeof value === 'string' ? value.trim() : undefined;
}

/**
 * A number from context (`-c apiBurstLimit=50`, `-c logRetention=30` (days), or a JSON number), if set.
 *
 * @throws InvalidPropError naming the key, when the value is not a number.
 */
export function readNumber(node: Node, key: keyof typeof NUMBER_EXAMPLES): number | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw new InvalidPropError(`Context '${key}' must be a number, as in -c ${key}=${NUMBER_EXAMPLES[key]}; received ${JSON.stringify(value)}`);
  }
  return number;
}

/**
 * `removalPolicy` from context (`retain` or `destroy`, any case), if set; the construct refuses other values.
 */
export function readRemovalPolicy(node: Node): LambdaRolloutProps['removalPolicy'] {
  const value: unknown = node.tryGetContext('removalPolicy');
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidPropError(`Context 'removalPolicy' must be 'retain' or 'destroy', as in -c removalPolicy=destroy; received ${JSON.stringify(value)}`);
  }
  return value.trim().toLowerCase() as LambdaRolloutProps['removalPolicy'];
}
