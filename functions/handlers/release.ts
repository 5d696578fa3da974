/** Release on Lambda: Lambda's code control plane, the registry's lock and the allowed functions, to refuse before any change. */
import { codeRelease, rolloutRegistry } from '../aws/index.js';
import type { ReleaseEvent } from '../core/release.js';
import { systemClock } from '../ports.js';
import { makeRelease } from '../tasks/release.js';
import { lambdaHandler } from './middleware.js';
import { allowedFunctionsFromEnv } from './scope.js';

let release: ReturnType<typeof makeRelease> | undefined;
export const handler = lambdaHandler((event: ReleaseEvent) =>
  (release ??= makeRelease({ code: codeRelease(), registry: rolloutRegistry(), clock: systemClock, allowedFunctions: allowedFunctionsFromEnv('Release') }))(event),
);
