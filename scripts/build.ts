/**
 * Builds the package into dist/: the compiled JavaScript and type declarations of the constructs
 * (`lambda-rollout`, `lambda-rollout/cdk`), the core (`lambda-rollout/core`) and the CLI; the workflow
 * definition beside them (dist/statemachine, where `ASL_PATH` finds it from dist/functions/names.js);
 * the handler bundles (dist/bundles); and, beside each entry's declarations, an `index.d.cts` for
 * CommonJS apps. Always from scratch: this is what `npm pack` ships.
 *
 * Run: npm run build   (npm pack runs it as prepack)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundles } from './build-bundles.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');

const began = Date.now();
rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
cpSync(join(ROOT, 'statemachine', 'rollout.asl.json'), join(DIST, 'statemachine', 'rollout.asl.json'));
// A CommonJS app loads the package with require() (Node 22.12+ loads ES modules so). TypeScript before 5.8
// refuses to type a require() of an ES module under "module": "NodeNext" (TS1479) unless the `require`
// condition's types are CommonJS declarations: these re-export the entry's own.
for (const entry of ['infra', 'functions/core']) writeFileSync(join(DIST, entry, 'index.d.cts'), "export * from './index.js';\n");
// No freshness stamp: it lives in node_modules, which a packed copy may share with the repository.
const bundles = await buildBundles({ outdir: join(DIST, 'bundles') });
console.log(`built dist/: JavaScript and declarations, the workflow definition, ${bundles.length} handler bundles (${((Date.now() - began) / 1000).toFixed(1)} s)`);
