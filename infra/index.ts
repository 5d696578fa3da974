/**
 * lambda-rollout's CDK constructs (`lambda-rollout`, or `lambda-rollout/cdk`): {@link LambdaRollout},
 * the whole service in your stack, and {@link RolloutStack}, a stack holding one.
 */
export { type AllowedFunction } from './allowed-functions.js';
export { InvalidPropError } from './errors.js';
export { MissingBundleError } from './handler-code.js';
export { LambdaRollout, type LambdaRolloutProps } from './lambda-rollout.js';
export { RolloutStack, type RolloutStackProps } from './rollout-stack.js';
