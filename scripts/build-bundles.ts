/**
 * Builds the handler bundles the construct deploys: one esbuild bundle per function (ESM, node22,
 * minified, with a source map), written to `dist/bundles/<function id>/index.mjs`. The package ships
 * them, so a CDK app that installs lambda-rollout needs neither esbuild nor our TypeScript sources.
 *
 * Run: npm run build:bundles   (npm run build and npm pack run it too)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { TASK_FUNCTIONS } from '../functions/names.js';
import { BUNDLE_FILE, DEFAULT_BUNDLES_DIR } from '../infra/handler-code.js';
import { ALIAS_PROVIDER_FUNCTIONS } from '../infra/alias-provider.js';
import { SERVICE_FUNCTIONS, SMOKE_TEST_HOOK, SMOKE_TEST_HOOK_ID } from '../infra/lambda-rollout.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every function the construct deploys, by construct id, and its handler file (relative to the repository). */
export const BUNDLE_ENTRIES: Readonly<Record<string, string>> = Object.fromEntries(
  [
    ...Object.values(TASK_FUNCTIONS),
    ...[...Object.entries(SERVICE_FUNCTIONS), ...Object.entries(ALIAS_PROVIDER_FUNCTIONS), [SMOKE_TEST_HOOK_ID, SMOKE_TEST_HOOK] as const].map(([id, fn]) => ({ id, entry: fn.entry })),
  ].map((fn) => [fn.id, fn.entry]),
);

/**
 * Where the AWS SDK comes from: `bundled` into each bundle (tree-shaken to the clients and commands the
 * function uses), or the `runtime`'s own SDK v3 that nodejs22.x ships (left out of the bundle).
 */
export type SdkSource = 'bundled' | 'runtime';

export interface BundleOptions {
  /** Where to write `<id>/index.mjs` (the folder is emptied first). @default dist/bundles of the repository */
  readonly outdir?: string;
  /** @default 'bundled' */
  readonly sdk?: SdkSource;
}

/** One built bundle: its file, size and the SDK packages (`client-lambda`, `lib-dynamodb`...) it contains or imports. */
export interface BuiltBundle {
  readonly id: string;
  readonly file: string;
  readonly bytes: number;
  readonly sdkPackages: readonly string[];
  /** The bytes each npm package takes in the bundle: what tests hold its contents to. */
  readonly packageBytes: Readonly<Record<string, number>>;
}

/** Lets CommonJS dependencies bundled into an ESM output call `require` (for Node built-ins). */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * `@aws-sdk/lib-dynamodb` has no `"sideEffects": false` (the clients do), so esbuild keeps it, and the
 * DynamoDB client under it, in every bundle that imports the module making all clients
 * (`functions/aws/clients.ts`). Its modules only declare classes and functions: mark it side-effect
 * free, so only the functions that use the registry carry DynamoDB.
 */
const sdkWithoutSideEffects: esbuild.Plugin = {
  name: 'sdk-without-side-effects',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/lib-dynamodb$/ }, async (args) => {
      if (args.pluginData === 'resolving') return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.path, external: resolved.external, sideEffects: false };
    });
  },
};

/** `node_modules/@aws-sdk/client-lambda/dist-es/x.js` -> `@aws-sdk/client-lambda`; project files -> undefined. */
function packageOf(path: string): string | undefined {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
}

const SDK_PACKAGE = /^@aws-sdk\/((?:client|lib)-[a-z0-9-]+)$/;

/**
 * Builds the bundles in one esbuild run (entries share parsing, several times faster than one run each)
 * and returns what each holds.
 */
export async function buildBundles(options: BundleOptions = {}): Promise<BuiltBundle[]> {
  return (await build(options)).bundles;
}

async function build(options: BundleOptions): Promise<{ bundles: BuiltBundle[]; inputs: string[] }> {
  const outdir = options.outdir ?? DEFAULT_BUNDLES_DIR;
  const sdk = options.sdk ?? 'bundled';
  const ids = Object.keys(BUNDLE_ENTRIES);
  rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(BUNDLE_ENTRIES).map(([id, entry]) => [`${id}/${BUNDLE_FILE.replace(/\.mjs$/, '')}`, join(ROOT, entry)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // The ES module builds of dependencies (the SDK's dist-es) tree-shake; their CommonJS builds do not.
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    // Stack traces need the mappings, not our sources: the maps stay a fraction of the size.
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    external: sdk === 'runtime' ? ['@aws-sdk/*', '@smithy/*'] : [],
    plugins: [sdkWithoutSideEffects],
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
  const bundles = Object.entries(result.metafile.outputs)
    .filter(([, output]) => output.entryPoint !== undefined)
    .map(([file, output]) => {
      const id = file.split('/').at(-2) ?? file;
      const packageBytes: Record<string, number> = {};
      for (const [path, input] of Object.entries(output.inputs)) {
        const pkg = packageOf(path);
        if (pkg && input.bytesInOutput > 0) packageBytes[pkg] = (packageBytes[pkg] ?? 0) + input.bytesInOutput;
      }
      const imported = output.imports.filter((i) => i.external).map((i) => /^((?:@[^/]+\/)?[^/]+)/.exec(i.path)?.[1]);
      const packages = new Set([...Object.keys(packageBytes), ...imported]);
      const sdkPackages = [...packages].flatMap((p) => SDK_PACKAGE.exec(p ?? '')?.[1] ?? []).sort();
      return { id, file: join(ROOT, file), bytes: output.bytes, sdkPackages, packageBytes };
    })
    .sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
  return { bundles, inputs: Object.keys(result.metafile.inputs).map((path) => join(ROOT, path)) };
}

/**
 * What the last build of the default bundles read and made: the stamp `ensureBundles` compares with
 * the files' modification times. Kept in node_modules/.cache, outside what the package ships, under
 * a name of this checkout's own, as checkouts may share one node_modules.
 */
interface Stamp {
  readonly builtAtMs: number;
  readonly inputs: readonly string[];
  readonly bundles: readonly BuiltBundle[];
}

const STAMP = join(ROOT, 'node_modules', '.cache', 'lambda-rollout', `bundles-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.json`);
/** Besides the bundles' own inputs: a dependency update changes the lockfile, a build change this file. */
const ALWAYS_READ = ['package-lock.json', 'package.json', 'scripts/build-bundles.ts'].map((file) => join(ROOT, file));

function freshStamp(): Stamp | undefined {
  if (!existsSync(STAMP)) return undefined;
  const stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as Stamp;
  const ids = Object.keys(BUNDLE_ENTRIES);
  const complete = ids.every((id) => stamp.bundles.some((b) => b.id === id && existsSync(b.file)));
  const unchanged = [...stamp.inputs, ...ALWAYS_READ].every((file) => existsSync(file) && statSync(file).mtimeMs < stamp.builtAtMs);
  return complete && unchanged ? stamp : undefined;
}

/** Builds the default bundles (`dist/bundles`, SDK bundled) and stamps what they were built from. */
export async function buildDefaultBundles(): Promise<BuiltBundle[]> {
  const builtAtMs = Date.now();
  const { bundles, inputs } = await build({});
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, JSON.stringify({ builtAtMs, inputs, bundles } satisfies Stamp));
  return bundles;
}

/**
 * The default bundles, built only when a file they were built from has changed since the last build:
 * tests and the repository's CDK app call it before synthesizing.
 */
export async function ensureBundles(): Promise<readonly BuiltBundle[]> {
  return freshStamp()?.bundles ?? (await buildDefaultBundles());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const began = Date.now();
  const built = await buildDefaultBundles();
  console.log(`built ${built.length} handler bundles in ${DEFAULT_BUNDLES_DIR} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
}
