/**
 * The layers hold: the core is pure, nothing imports in a circle, handlers only wire, infra knows
 * no adapter, and the rehearsal loads no AWS SDK client, tracer or metrics emitter. Each rule is a
 * pure function over the source tree, shown to catch a planted violation before it is held to the
 * real tree.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importsOf, readTree, runtimeClosure, type SourceTree } from '../support/imports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TREE = readTree(ROOT, ['functions', 'sim', 'cli', 'infra']);

/** The most lines a handler may have: the middy stack, the real adapters and a task factory. */
const MAX_HANDLER_LINES = 60;
/** The entry points of the rehearsal (the CLI's simulate, demo and plan load these). */
const REHEARSAL_ENTRIES = ['sim/rehearsal.ts', 'sim/report.ts', 'cli/rehearsal.ts'];
/** The command line itself: it loads each command's work only when that command runs. */
const CLI_ENTRY = 'cli/main.ts';

const filesUnder = (tree: SourceTree, dir: string) => [...tree.keys()].filter((f) => f.startsWith(`${dir}/`));

/** Imports of `functions/core/` files that are not zod or another core file, and uses of the clock, environment or randomness. */
function impureCore(tree: SourceTree): string[] {
  return filesUnder(tree, 'functions/core').flatMap((file) => {
    const source = tree.get(file) ?? '';
    const imports = importsOf(file, source)
      .filter((ref) => ref.spec !== 'zod' && !ref.file?.startsWith('functions/core/'))
      .map((ref) => `${file} imports ${ref.spec}`);
    const effects = [...source.matchAll(/process\.env|Date\.now\(|new Date\(\)|Math\.random/g)].map((m) => `${file} uses ${m[0]}`);
    return [...imports, ...effects];
  });
}

function longHandlers(tree: SourceTree): string[] {
  return filesUnder(tree, 'functions/handlers')
    .map((file) => [file, (tree.get(file) ?? '').trimEnd().split('\n').length] as const)
    .filter(([, lines]) => lines > MAX_HANDLER_LINES)
    .map(([file, lines]) => `${file} has ${lines} lines`);
}

/** infra may name handler files as bundle entries, but imports no adapter, task or handler module. */
function infraImportingRuntime(tree: SourceTree): string[] {
  return filesUnder(tree, 'infra').flatMap((file) =>
    importsOf(file, tree.get(file) ?? '')
      .filter((ref) => /^functions\/(aws|tasks|handlers)\//.test(ref.file ?? '') || ref.spec.startsWith('@aws-sdk/'))
      .map((ref) => `${file} imports ${ref.spec}`),
  );
}

const isSdk = (module: string) => module.startsWith('@aws-sdk/') || module.startsWith('functions/aws/') || module.startsWith('functions/handlers/');
/** X-Ray tracing and EMF metrics: work only Lambda wants (the tracer patches every SDK client it is given). */
const isLambdaTelemetry = (module: string) =>
  module === 'functions/tracer.ts' || module.startsWith('@aws-lambda-powertools/tracer') || module.startsWith('@aws-lambda-powertools/metrics');

/** Modules the rehearsal loads that are SDK clients or AWS adapters (or, with `rule`, anything else it names), with the chain that loads each. */
function rehearsalLoadingSdk(tree: SourceTree, entries: readonly string[], rule: (module: string) => boolean = isSdk): string[] {
  return [...runtimeClosure(tree, entries)].filter(([module]) => rule(module)).map(([, chain]) => chain.join(' -> '));
}

/** SDK clients or adapters the command line loads before a command that needs them runs. */
function cliLoadingSdkUpFront(tree: SourceTree, entry: string): string[] {
  return [...runtimeClosure(tree, [entry], { staticOnly: true })].filter(([module]) => isSdk(module)).map(([, chain]) => chain.join(' -> '));
}

const cycleText = (tree: SourceTree) => importCycles(tree).map((c) => c.join(' -> '));

describe('the rules catch a planted violation', () => {
  const with_ = (files: Record<string, string>) => new Map([...TREE, ...Object.entries(files)]);

  it('reads every form of import, telling type-only ones apart', () => {
    const refs = importsOf(
      'functions/core/x.ts',
      `import { a } from './a.js';\nimport type { B } from "./b.js";\nimport 'c';\nconst d = await import("d");\nexport * from './e.js';\nexport type { F } from './f.js';\nimport {\n  g,\n  type H,\n} from '../g.js';`,
    );
    expect(refs.map((r) => [r.spec, r.file, r.typeOnly, r.dynamic])).toEqual([
      ['./a.js', 'functions/core/a.ts', false, false],
      ['./b.js', 'functions/core/b.ts', true, false],
      ['c', undefined, false, false],
      ['d', undefined, false, true],
      ['./e.js', 'functions/core/e.ts', false, false],
      ['./f.js', 'functions/core/f.ts', true, false],
      ['../g.js', 'functions/g.ts', false, false],
    ]);
  });

  it('an I/O import or a clock read in core', () => {
    expect(impureCore(with_({ 'functions/core/planted.ts': "import { readFileSync } from 'node:fs';\nexport const now = () => Date.now();" }))).toEqual([
      'functions/core/planted.ts imports node:fs',
      'functions/core/planted.ts uses Date.now(',
    ]);
  });

  it('an import cycle', () => {
    const planted = with_({ 'functions/core/p1.ts': "import { b } from './p2.js';", 'functions/core/p2.ts': "import type { A } from './p1.js';" });
    expect(cycleText(planted)).toContain('functions/core/p1.ts -> functions/core/p2.ts -> functions/core/p1.ts');
  });

  it('a handler over the limit', () => {
    const long = Array.from({ length: MAX_HANDLER_LINES + 1 }, (_, i) => `// line ${i}`).join('\n');
    expect(longHandlers(with_({ 'functions/handlers/planted.ts': long }))).toEqual([`functions/handlers/planted.ts has ${MAX_HANDLER_LINES + 1} lines`]);
  });

  it('infra importing an adapter', () => {
    expect(infraImportingRuntime(with_({ 'infra/planted.ts': "import { DynamoRolloutRegistry } from '../functions/aws/registry.js';" }))).toEqual([
      'infra/planted.ts imports ../functions/aws/registry.js',
    ]);
  });

  it('the rehearsal loading an SDK client through a project file', () => {
    const planted = with_({ 'sim/planted.ts': "import { lambdaControl } from '../functions/aws/index.js';", 'sim/entry.ts': "import './planted.js';" });
    const found = rehearsalLoadingSdk(planted, ['sim/entry.ts']);
    expect(found).toContain('sim/entry.ts -> sim/planted.ts -> functions/aws/index.ts');
    expect(found.some((chain) => chain.endsWith('@aws-sdk/client-lambda'))).toBe(true);
  });

  it('the rehearsal loading the tracer or the metrics emitter through a task', () => {
    const planted = with_({ 'functions/tasks/planted.ts': "import { tracer } from '../tracer.js';\nimport { Metrics } from '@aws-lambda-powertools/metrics';", 'sim/entry.ts': "import '../functions/tasks/planted.js';" });
    expect(rehearsalLoadingSdk(planted, ['sim/entry.ts'], isLambdaTelemetry)).toEqual([
      'sim/entry.ts -> functions/tasks/planted.ts -> functions/tracer.ts',
      'sim/entry.ts -> functions/tasks/planted.ts -> @aws-lambda-powertools/metrics',
      'sim/entry.ts -> functions/tasks/planted.ts -> functions/tracer.ts -> @aws-lambda-powertools/tracer',
    ]);
  });

  it('the command line loading an SDK client before its command runs, and not when only a command loads it', () => {
    const upFront = with_({ 'cli/planted.ts': "import { CloudFormationClient } from '@aws-sdk/client-cloudformation';", 'cli/entry.ts': "import './planted.js';" });
    expect(cliLoadingSdkUpFront(upFront, 'cli/entry.ts')).toEqual(['cli/entry.ts -> cli/planted.ts -> @aws-sdk/client-cloudformation']);
    const onDemand = with_({ 'cli/planted.ts': "import { CloudFormationClient } from '@aws-sdk/client-cloudformation';", 'cli/entry.ts': "const verbs = () => import('./planted.js');" });
    expect(cliLoadingSdkUpFront(onDemand, 'cli/entry.ts')).toEqual([]);
  });
});

describe('the layers hold', () => {
  it('reads the project', () => {
    expect(filesUnder(TREE, 'functions/core').length).toBeGreaterThan(5);
    expect(filesUnder(TREE, 'functions/handlers').length).toBeGreaterThan(5);
    expect(runtimeClosure(TREE, REHEARSAL_ENTRIES).size).toBeGreaterThan(20);
  });

  it('functions/core imports nothing with I/O and reads no clock, environment or randomness', () => expect(impureCore(TREE)).toEqual([]));
  it('no module imports itself in a circle', () => expect(cycleText(TREE)).toEqual([]));
  it(`every handler is at most ${MAX_HANDLER_LINES} lines`, () => expect(longHandlers(TREE)).toEqual([]));
  it('infra imports no adapter, task or handler', () => expect(infraImportingRuntime(TREE)).toEqual([]));
  it('the rehearsal loads no AWS SDK client or adapter', () => expect(rehearsalLoadingSdk(TREE, REHEARSAL_ENTRIES)).toEqual([]));
  it('the rehearsal loads no tracer and no metrics emitter', () => expect(rehearsalLoadingSdk(TREE, REHEARSAL_ENTRIES, isLambdaTelemetry)).toEqual([]));
  it('the command line loads an AWS SDK client only when a command that talks to AWS runs', () => expect(cliLoadingSdkUpFront(TREE, CLI_ENTRY)).toEqual([]));
});
