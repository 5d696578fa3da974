/**
 * The handler bundles the construct deploys (built by the global set-up, as `npm run build` does):
 * one per function, each loading in Node 22 with a `handler`, each carrying the SDK clients its
 * permissions let it call and no other, and zod without the schemas and translations nobody uses.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { TASK_FUNCTIONS, type TaskFunctionKey } from '../../functions/names.js';
import { ALIAS_PROVIDER_FUNCTIONS } from '../../infra/alias-provider.js';
import { type Capabilities, TASK_PERMISSIONS } from '../../infra/functions.js';
import { BUNDLE_FILE } from '../../infra/handler-code.js';
import { SERVICE_FUNCTIONS, type ServiceFunctionId, SMOKE_TEST_HOOK, SMOKE_TEST_HOOK_ID } from '../../infra/lambda-rollout.js';
import { BUNDLE_ENTRIES } from '../../scripts/build-bundles.js';

const bundles = inject('bundles');

/** The SDK packages each capability's grants are for. */
const CLIENTS_OF: Record<keyof Capabilities, readonly string[]> = {
  lambdaRead: ['client-lambda'],
  lambdaWrite: ['client-lambda'],
  invoke: ['client-lambda'],
  release: ['client-lambda'],
  metrics: ['client-cloudwatch'],
  alarms: ['client-cloudwatch'],
  publish: ['client-sns'],
  registry: ['client-dynamodb', 'lib-dynamodb'],
  events: ['client-eventbridge'],
  concurrency: ['client-lambda'],
  eventSources: ['client-lambda'],
  hooks: ['client-lambda'],
};


/** What the construct grants the service functions beyond their capabilities (LambdaRollout.grantServiceExtras). */
const SERVICE_EXTRAS: Record<ServiceFunctionId, readonly string[]> = {
  Api: ['client-sfn'],
  Guard: ['client-sfn'],
  ArtifactTrigger: ['client-sfn', 'client-s3', 'client-lambda'],
};

/**
 * What the construct grants task functions beyond their capabilities: RunHook answers task tokens
 * (LambdaRollout.grantTaskTokens); Continue starts and describes executions (LambdaRollout.grantContinuation).
 */
const TASK_EXTRAS: Partial<Record<TaskFunctionKey, readonly string[]>> = { RunHookFunctionArn: ['client-sfn'], ContinueFunctionArn: ['client-sfn'] };

/** The Custom::LambdaRollout provider's functions: aliases (GetAlias, CreateAlias), the registry, the workflow's executions (AliasProvider.grant). */
const ALIAS_PROVIDER_CLIENTS: readonly string[] = ['client-dynamodb', 'client-lambda', 'client-sfn', 'lib-dynamodb'];

function expectedClients(id: string): string[] {
  if (Object.hasOwn(ALIAS_PROVIDER_FUNCTIONS, id)) return [...ALIAS_PROVIDER_CLIENTS];
  const task = Object.entries(TASK_FUNCTIONS).find(([, fn]) => fn.id === id)?.[0] as TaskFunctionKey | undefined;
  const can: Capabilities = task ? TASK_PERMISSIONS[task] : id === SMOKE_TEST_HOOK_ID ? SMOKE_TEST_HOOK.can : SERVICE_FUNCTIONS[id as ServiceFunctionId].can;
  const extras = task ? (TASK_EXTRAS[task] ?? []) : id === SMOKE_TEST_HOOK_ID ? [] : SERVICE_EXTRAS[id as ServiceFunctionId];
  const fromCapabilities = (Object.keys(CLIENTS_OF) as (keyof Capabilities)[]).filter((c) => can[c]).flatMap((c) => CLIENTS_OF[c]);
  return [...new Set([...fromCapabilities, ...extras])].sort();
}

describe('the handler bundles', () => {
  it('are one per function the construct deploys', () => {
    const ids = [...Object.values(TASK_FUNCTIONS).map((fn) => fn.id), ...Object.keys(SERVICE_FUNCTIONS), ...Object.keys(ALIAS_PROVIDER_FUNCTIONS), SMOKE_TEST_HOOK_ID].sort();
    expect(Object.keys(BUNDLE_ENTRIES).sort()).toEqual(ids);
    expect(bundles.map((b) => b.id).sort()).toEqual(ids);
  });

  it('load in a fresh Node 22 process as ES modules exporting a handler, each with its source map', () => {
    // As Lambda loads them: Node alone, no loader, no node_modules beside them.
    const script = `for (const url of ${JSON.stringify(bundles.map((b) => pathToFileURL(b.file).href))}) console.log(typeof (await import(url)).handler);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' } });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual(bundles.map(() => 'function'));
    for (const bundle of bundles) {
      expect(bundle.file.endsWith(`/${bundle.id}/${BUNDLE_FILE}`)).toBe(true);
      expect(existsSync(`${bundle.file}.map`), bundle.id).toBe(true);
    }
  });

  it.each(bundles.map((b) => [b.id, b] as const))('%s carries the SDK clients its permissions allow, and no other', (id, bundle) => {
    expect(bundle.sdkPackages).toEqual(expectedClients(id));
  });

  it.each(bundles.filter((b) => b.packageBytes.zod !== undefined).map((b) => [b.id, b] as const))(
    '%s carries under 150 KB of zod: imported as a namespace (`import * as z`), its unused schemas and 40 translations drop out',
    (_id, bundle) => {
      // `import { z } from 'zod'` keeps the whole namespace object: about 450 KB in every bundle.
      expect(bundle.packageBytes.zod).toBeLessThan(150_000);
    },
  );
});
