/** Release on Lambda: Lambda's code control plane, and the registry's lock to refuse before any change. */
import { codeRelease, rolloutRegistry } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makeRelease } from '../tasks/release.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makeRelease({ code: codeRelease(), registry: rolloutRegistry(), clock: systemClock }));
