/** The errors lambda-rollout's constructs and CDK app throw for settings they refuse. */

/**
 * A construct prop or app context value lambda-rollout refuses. The message names the prop (or the
 * context key), the rule and the value received, on one line: the CDK app prints it as it is, with no
 * stack trace.
 */
export class InvalidPropError extends Error {
  override readonly name = 'InvalidPropError';
}
