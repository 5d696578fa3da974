/**
 * RunHook on Lambda: invokes the rollout's lifecycle hook (only hooks on the allowed list: IAM allows
 * nothing else) and answers the workflow's task token with the hook's answer.
 */
import { invoker, taskTokens } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeRunHook } from '../tasks/run-hook.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeRunHook({ invoker: invoker(), tokens: taskTokens(), clock: systemClock }));
