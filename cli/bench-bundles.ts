/**
 * What each function's code costs at a cold start: the handler bundles built both ways the SDK can
 * come (bundled and tree-shaken, or the nodejs22.x runtime's own), each bundle's size, the median time
 * a fresh `node` process takes to import it (module evaluation, the middy stack and the SDK clients
 * its adapters make at load), and the SDK clients it contains. For the runtime's SDK, the bundles sit
 * under a node_modules holding only @aws-sdk and @smithy, as /var/runtime/node_modules does on Lambda.
 *
 * Run: npm run bench:bundles   (or: npx tsx cli/bench-bundles.ts [imports per bundle])
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { arch, cpus, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuiltBundle, buildBundles, type SdkSource } from '../scripts/build-bundles.js';
import { table } from './format.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const runs = Math.max(3, Number(process.argv[2] ?? 15) || 15);

/** Milliseconds a fresh node process takes to import `specifier` (a file URL or a package name resolved from `cwd`). */
function importMs(specifier: string, cwd: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  if (run.status !== 0) throw new Error(`importing ${specifier} failed: ${run.stderr}`);
  return Number(run.stdout);
}

interface Target {
  readonly specifier: string;
  readonly cwd: string;
}

/**
 * The median import time of each target. Runs go round-robin over the targets, so that whatever else
 * loads the machine meanwhile weighs on every target alike.
 */
function medianImportMs(targets: readonly Target[]): number[] {
  const times = targets.map((): number[] => []);
  for (let run = 0; run < runs; run++) targets.forEach((t, i) => times[i]?.push(importMs(t.specifier, t.cwd)));
  return times.map((ts) => ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)] ?? Number.NaN);
}

const work = mkdtempSync(join(tmpdir(), 'lambda-rollout-bench-'));
try {
  // The runtime's SDK: a node_modules above the bundles with the SDK's packages only.
  const runtimeModules = join(work, 'runtime', 'node_modules');
  mkdirSync(runtimeModules, { recursive: true });
  for (const scope of ['@aws-sdk', '@smithy']) symlinkSync(join(ROOT, 'node_modules', scope), join(runtimeModules, scope));

  const built = {} as Record<SdkSource, BuiltBundle[]>;
  const buildMs = {} as Record<SdkSource, number>;
  for (const sdk of ['bundled', 'runtime'] as const) {
    const began = performance.now();
    built[sdk] = await buildBundles({ outdir: join(work, sdk, 'task'), sdk });
    buildMs[sdk] = performance.now() - began;
  }

  const cpu = cpus();
  const args = process.argv.slice(2).join(' ');
  console.log(`command: ${process.env.npm_lifecycle_event === 'bench:bundles' ? `npm run bench:bundles${args ? ` -- ${args}` : ''}` : `npx tsx cli/bench-bundles.ts${args ? ` ${args}` : ''}`}`);
  console.log(`machine: node ${process.version}, ${platform()} ${arch()}, ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown model'})`);
  console.log(`bundles: esbuild, ESM, node22, minified; built in ${(buildMs.bundled / 1000).toFixed(1)} s (SDK bundled) and ${(buildMs.runtime / 1000).toFixed(1)} s (runtime SDK)`);
  console.log(`import: median of ${runs} fresh node processes per bundle`);
  console.log('');

  const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
  const ms = (x: number | undefined) => (x ?? Number.NaN).toFixed(0);
  const pairs = built.bundled.map((bundled) => {
    const runtime = built.runtime.find((b) => b.id === bundled.id);
    if (!runtime) throw new Error(`no runtime-SDK bundle for ${bundled.id}`);
    return { bundled, runtime };
  });
  const targets: Target[] = [
    ...pairs.flatMap(({ bundled, runtime }) => [bundled, runtime].map((b) => ({ specifier: pathToFileURL(b.file).href, cwd: work }))),
    { specifier: '@aws-sdk/client-lambda', cwd: join(work, 'runtime') },
  ];
  const medians = medianImportMs(targets);
  const rows = pairs.map(({ bundled, runtime }, i) => [
    bundled.id,
    kb(bundled.bytes),
    ms(medians[2 * i]),
    kb(runtime.bytes),
    ms(medians[2 * i + 1]),
    bundled.sdkPackages.join(', '),
  ]);
  const reference = medians.at(-1);
  console.log(
    table(
      ['function', 'SDK bundled', 'import ms', 'runtime SDK', 'import ms', 'SDK clients'],
      rows,
      ['left', 'right', 'right', 'right', 'right', 'left'],
    ),
  );
  console.log('');
  console.log(`reference: importing @aws-sdk/client-lambda alone from the runtime's SDK takes ${ms(reference)} ms`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
