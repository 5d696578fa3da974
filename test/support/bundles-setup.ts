/**
 * Vitest global set-up: the handler bundles the construct deploys (dist/bundles), built once before
 * any test when a source changed since the last build, and what each holds, handed to the tests that
 * check it (`inject('bundles')`).
 */
import type { TestProject } from 'vitest/node';
import { type BuiltBundle, ensureBundles } from '../../scripts/build-bundles.js';

declare module 'vitest' {
  export interface ProvidedContext {
    bundles: readonly BuiltBundle[];
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('bundles', await ensureBundles());
}
