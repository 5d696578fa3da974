/** Reads the app's settings from CDK context (`-c key=value` or cdk.json). */
import type { Node } from 'constructs';

/**
 * `allowedFunctions` from context: a comma-separated string (`-c allowedFunctions=orders-*,payments`)
 * or an array (cdk.json). Blank items are dropped.
 *
 * @throws Error saying how to pass it, when absent or empty.
 */
export function readAllowedFunctions(node: Node): string[] {
  const value: unknown = node.tryGetContext('allowedFunctions');
  const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  const list = items.map((item) => item.trim()).filter((item) => item.length > 0);
  if (list.length === 0) {
    throw new Error(
      `Context 'allowedFunctions' is required: the functions rollouts may shift, as names, name patterns or ` +
        `function ARNs, comma-separated. Pass it with: npx cdk synth -c allowedFunctions='orders-*,payments' ` +
        `(received ${JSON.stringify(value)})`,
    );
  }
  return list;
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
 * `allowedHooks` from context, optional: a comma-separated string (`-c allowedHooks=checks-*`) or an
 * array (cdk.json). Blank items are dropped; none means the smoke-test hook only.
 */
export function readAllowedHooks(node: Node): string[] {
  const value: unknown = node.tryGetContext('allowedHooks');
  const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}
