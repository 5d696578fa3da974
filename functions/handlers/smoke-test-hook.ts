/**
 * The ready-made smoke-test hook on Lambda: invokes the target version named in the hook event with
 * the cases of its payload, and answers `{"status":"Succeeded"}` or `{"status":"Failed","reason":...}`.
 */
import { invoker } from '../aws/index.js';
import { makeSmokeTest } from '../tasks/smoke-test.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeSmokeTest({ invoker: invoker() }));
