/**
 * lambda-rollout's core for clients (`lambda-rollout/core`): the rollout input's schema and types,
 * strategies and presets with the plans they make, the health policy, notifications and errors. Pure:
 * no AWS SDK, no I/O, only zod; safe to import in a pipeline script or a browser bundle.
 *
 * @example
 * // in a client, with parseRolloutInput imported from 'lambda-rollout/core':
 * parseRolloutInput({ functionName: 'orders', alias: 'live', targetVersion: '8', strategy: 'Canary10Percent5Minutes' }).plan.steps.length // 1
 */
export * from './errors.js';
export * from './health.js';
export * from './input.js';
export * from './notification.js';
export * from './strategy.js';
