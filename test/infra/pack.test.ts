/**
 * What users get from npm: `npm pack` of the repository's files, installed into a new CDK app in a
 * temporary folder outside the repository, used as the README's "Use it in your CDK app" section says.
 * The section is the script: every shell command and every file it shows, in order. The only changes
 * are the tarball in place of `lambda-rollout` (not published), the repository's versions of
 * aws-cdk-lib, constructs and aws-cdk, npm's offline-first flags (the packages come from npm's cache
 * when it holds them) and `--no-notices` for the CDK CLI.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRIES } from '../../scripts/build-bundles.js';
import { FRAMEWORK_FUNCTIONS, REPO_ROOT } from './support.js';

const execFileAsync = promisify(execFile);
const SECTION = '## Use it in your CDK app';
/** Our functions, one prebuilt bundle each. */
const FUNCTIONS = Object.keys(BUNDLE_ENTRIES).length;
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const installedVersion = (name: string) => (createRequire(join(REPO_ROOT, 'package.json'))(`${name}/package.json`) as { version: string }).version;

/** One step of the README section: a shell command, or a file to write. */
type Step = { readonly command: string } | { readonly file: string; readonly text: string };

/** The section's code blocks as steps: each line of a `sh` block, and each `js` block headed `// <file>`. */
function readmeSteps(readme: string): Step[] {
  const start = readme.indexOf(`\n${SECTION}\n`);
  const end = readme.indexOf('\n## ', start + SECTION.length + 1);
  if (start < 0) throw new Error(`README.md has no section '${SECTION}'`);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].flatMap(([, lang, body = '']): Step[] => {
    if (lang === 'sh') return body.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim()).filter((line) => line && !line.startsWith('#')).map((command) => ({ command }));
    const file = /^\/\/ (\S+)\n/.exec(body)?.[1];
    return file ? [{ file, text: body }] : [];
  });
}

/** The README's command as the test runs it (see the header). */
function asTested(command: string, tarball: string): string {
  if (/^npm install\b/.test(command)) {
    const pinned = command.split(' ').map((word) => {
      if (word === PACKAGE.name) return tarball;
      if (word === 'aws-cdk-lib' || word === 'constructs') return `${word}@${installedVersion(word)}`;
      if (word.startsWith('aws-cdk@')) return `aws-cdk@${installedVersion('aws-cdk')}`;
      return word;
    });
    return `${pinned.join(' ')} --prefer-offline --no-audit --no-fund`;
  }
  return /^npx cdk\b/.test(command) ? `${command} --no-notices` : command;
}

/** The environment of the app's commands: this Node first on the PATH, none of the outer npm's settings. */
function appEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, CDK_DISABLE_CLI_TELEMETRY: 'true' };
}

interface Ran {
  readonly command: string;
  readonly stdout: string;
  readonly seconds: number;
  /** For `cdk synth --app 'node <file>'`: the synthesized template and the cloud assembly's folder. */
  readonly template?: Template;
}

const work = mkdtempSync(join(tmpdir(), 'lambda-rollout-pack-'));
const app = join(work, 'app');
const ran: Ran[] = [];
const seconds: Record<string, number> = {};
let packed: { files: { path: string }[] };

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const began = performance.now();
  try {
    return await run();
  } finally {
    seconds[label] = (performance.now() - began) / 1000;
  }
}

beforeAll(async () => {
  // The repository's files as a fresh clone has them (plus uncommitted ones), built and packed there:
  // nothing of this checkout's dist/ can slip in, and the tests reading it meanwhile are left alone.
  const source = join(work, 'source');
  await timed('copy the repository', async () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of files) {
      if (existsSync(join(REPO_ROOT, file))) cpSync(join(REPO_ROOT, file), join(source, file), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(source, 'node_modules'));
  });
  const pack = await timed('npm pack (build included)', () =>
    execFileAsync('npm', ['pack', '--json', '--pack-destination', work], { cwd: source, env: appEnv(), maxBuffer: 64 * 1024 * 1024 }));
  // The build (prepack) prints its summary first; npm's JSON report follows.
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[\n'))) as { files: { path: string }[] }[])[0] ?? { files: [] };
  const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz')) ?? 'missing.tgz');

  mkdirSync(app);
  for (const step of readmeSteps(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))) {
    if ('file' in step) {
      writeFileSync(join(app, step.file), step.text);
      continue;
    }
    const command = asTested(step.command, tarball);
    const began = performance.now();
    const { stdout } = await execFileAsync('bash', ['-c', command], { cwd: app, env: appEnv(), maxBuffer: 64 * 1024 * 1024 }).catch((error: { stderr?: string; stdout?: string }) => {
      throw new Error(`README command failed: ${command}\n${error.stderr ?? ''}${error.stdout ?? ''}`);
    });
    const synthesized = /cdk synth --app '?node (\S+?)'?(\s|$)/.exec(command);
    const template = synthesized ? Template.fromJSON(JSON.parse(readFileSync(join(app, 'cdk.out', 'Rollouts.template.json'), 'utf8'))) : undefined;
    ran.push({ command: step.command, stdout, seconds: (performance.now() - began) / 1000, ...(template ? { template } : {}) });
  }
}, 900_000);

afterAll(() => {
  // Removing the app (aws-cdk-lib alone is 160 MB in 14,000 files) takes as long as installing it:
  // a detached process does it while the other tests go on.
  spawn(process.execPath, ['-e', `require('node:fs').rmSync(${JSON.stringify(work)}, { recursive: true, force: true })`], { detached: true, stdio: 'ignore' }).unref();
  const steps = [...Object.entries(seconds), ...ran.map((r) => [r.command, r.seconds] as const)];
  console.log(`pack test: ${steps.map(([what, s]) => `${what} ${s.toFixed(1)} s`).join('; ')}`);
});

const synthOf = (file: string) => ran.find((r) => r.command.includes(`node ${file}`))?.template;

describe('the tarball', () => {
  it('holds the compiled package, the workflow and one bundle per function, and none of the sources', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths.filter((p) => !p.startsWith('dist/')).sort()).toEqual(['README.md', 'cli/bin.js', 'package.json']);
    expect(paths).toEqual(expect.arrayContaining([
      'dist/infra/index.js', 'dist/infra/index.d.ts', 'dist/functions/core/index.js', 'dist/functions/core/index.d.ts',
      'dist/cli/main.js', 'dist/statemachine/rollout.asl.json',
    ]));
    expect(paths.filter((p) => /^dist\/bundles\/\w+\/index\.mjs$/.test(p))).toHaveLength(FUNCTIONS);
    expect(paths.filter((p) => /^dist\/bundles\/\w+\/index\.mjs\.map$/.test(p))).toHaveLength(FUNCTIONS);
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
  });

  it("imports, outside the bundles, only its dependencies, its peer dependencies and Node's built-ins", () => {
    const installed = join(app, 'node_modules', PACKAGE.name, 'dist');
    const declared = new Set([...Object.keys(PACKAGE.dependencies), ...Object.keys(PACKAGE.peerDependencies), PACKAGE.name]);
    const undeclared = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== 'bundles') walk(path);
        else if (entry.name.endsWith('.js')) {
          for (const [, spec = ''] of readFileSync(path, 'utf8').matchAll(/(?:from|import\()\s*['"]([^'".][^'"]*)['"]/g)) {
            const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
            if (!declared.has(name) && !builtinModules.includes(name.replace(/^node:/, ''))) undeclared.add(`${relative(installed, path)} imports ${spec}`);
          }
        }
      }
    };
    walk(installed);
    expect([...undeclared]).toEqual([]);
  });
});

describe('the README section, run in a new CDK app', () => {
  it('installs and synthesizes an ES module app: the service with its prebuilt functions, and the grants it asks for', () => {
    const template = synthOf('app.mjs');
    expect(template).toBeDefined();
    template?.resourceCountIs('AWS::Lambda::Function', FUNCTIONS + FRAMEWORK_FUNCTIONS);
    expect(Object.keys(template?.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x' } }) ?? {})).toHaveLength(FUNCTIONS);
    const assets = JSON.parse(readFileSync(join(app, 'cdk.out', 'Rollouts.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
    const bundles = Object.values(assets.files).filter((f) => existsSync(join(app, 'cdk.out', f.source.path, 'index.mjs')));
    expect(bundles).toHaveLength(FUNCTIONS);
    const policies = JSON.stringify(template?.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('states:StartExecution');
    expect(policies).toContain('/POST/rollouts');
    expect(policies).toContain('function:payments-*');
  });

  it('synthesizes a CommonJS app, which loads the package with require()', () => {
    const template = synthOf('app.cjs');
    expect(template).toBeDefined();
    template?.resourceCountIs('AWS::Lambda::Function', FUNCTIONS + FRAMEWORK_FUNCTIONS);
    expect(JSON.stringify(template?.findResources('AWS::IAM::Policy'))).toContain('/POST/rollouts/*/*');
  });

  it('checks a rollout input with lambda-rollout/core in a plain script', () => {
    expect(ran.find((r) => r.command === 'node check.mjs')?.stdout.trim()).toBe('9 steps');
  });

  it('runs the rollout command from the installed package', () => {
    expect(ran.find((r) => r.command.startsWith('npx rollout plan'))?.stdout).toMatch(/Canary10Percent5Minutes/);
  });

  it('ran every command and file of the section', () => {
    const steps = readmeSteps(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    expect(ran.map((r) => r.command)).toEqual(steps.flatMap((s) => ('command' in s ? [s.command] : [])));
    expect(steps.filter((s) => 'file' in s).map((s) => ('file' in s ? s.file : ''))).toEqual(['app.mjs', 'app.cjs', 'check.mjs']);
  });
});
