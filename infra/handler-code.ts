/**
 * The code of lambda-rollout's functions: prebuilt bundles (scripts/build-bundles.ts), one folder per
 * function, shipped in the package. The construct only points Lambda at them, so synthesizing needs no
 * esbuild, no Docker and none of our TypeScript sources.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The file of each bundle, and the handler Lambda calls in it. */
export const BUNDLE_FILE = 'index.mjs';
export const BUNDLE_HANDLER = 'index.handler';

/**
 * `dist/bundles` of the package this module belongs to: the installed package's, or the repository's
 * when run from the TypeScript sources (tests, `cdk synth` in a clone), where `npm run build:bundles`
 * writes them. The package's own name resolves to its root from either place.
 */
export const DEFAULT_BUNDLES_DIR = join(dirname(createRequire(import.meta.url).resolve('lambda-rollout/package.json')), 'dist', 'bundles');

/** A function's bundle is not where the construct looks for it. */
export class MissingBundleError extends Error {
  override readonly name = 'MissingBundleError';
}

/**
 * The asset of function `id`'s bundle.
 *
 * @throws MissingBundleError naming the file and how to build it, when it is absent.
 */
export function handlerCode(id: string, bundlesDir: string = DEFAULT_BUNDLES_DIR): lambda.Code {
  const dir = join(bundlesDir, id);
  if (!existsSync(join(dir, BUNDLE_FILE))) {
    throw new MissingBundleError(
      `lambda-rollout: no handler bundle for ${id} at ${join(dir, BUNDLE_FILE)}. ` +
        'In a clone of the repository, build the bundles with: npm run build:bundles; an installed package ships them (reinstall it).',
    );
  }
  return lambda.Code.fromAsset(dir);
}
