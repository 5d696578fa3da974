/**
 * The X-Ray tracer of the service's functions (Powertools Tracer). Only the AWS side loads it: the
 * SDK clients (`aws/clients.ts`) and the middy stack (`handlers/middleware.ts`), never a task, so the
 * rehearsal does no tracing work. Off outside Lambda, where it hands clients back untouched.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

// The functions make no HTTP calls but the SDK's, which the clients trace: no global http(s) patching.
export const tracer = new Tracer({ serviceName: 'lambda-rollout', captureHTTPsRequests: false });
