/**
 * The project's import graph, read from the source text: what the architecture test holds the
 * layers to. Pure over a map of files, so each rule can be shown to fail on a planted violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** Project-relative path (`functions/core/input.ts`) to source text. */
export type SourceTree = ReadonlyMap<string, string>;

export interface ImportRef {
  /** The specifier as written. */
  readonly spec: string;
  /** The project file it resolves to, for relative specifiers. */
  readonly file?: string | undefined;
  /** `import type` / `export type`: erased at run time, loads nothing. */
  readonly typeOnly: boolean;
  /** `import('…')`: loaded only when that code runs. */
  readonly dynamic: boolean;
}

const IMPORT = /(?:^|[\s;}])(import|export)\s+(type\s+)?(?:[\w*\s{},$]*?\bfrom\s*)?\(?\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * Every import of a source file: static (`from '…'`), side-effect (`import '…'`), re-exports
 * (`export … from '…'`) and dynamic (`import('…')`), relative ones resolved to project files.
 *
 * @example importsOf('a/b.ts', "import type { X } from './x.js';").at(0) // { spec: './x.js', file: 'a/x.ts', typeOnly: true, dynamic: false }
 */
export function importsOf(file: string, source: string): ImportRef[] {
  const refs: ImportRef[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4];
    if (!spec) continue;
    const typeOnly = m[2] !== undefined;
    const resolved = spec.startsWith('.') ? normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts') : undefined;
    refs.push({ spec, file: resolved, typeOnly, dynamic: m[4] !== undefined });
  }
  return refs;
}

/** The TypeScript files under `dirs` of the project at `root`, read. */
export function readTree(root: string, dirs: readonly string[]): Map<string, string> {
  const tree = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) tree.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  for (const dir of dirs) walk(dir);
  return tree;
}

/** Import cycles between project files, each as the list of files around it. */
export function importCycles(tree: SourceTree): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const ref of importsOf(file, tree.get(file) ?? '')) {
      if (!ref.file || !tree.has(ref.file)) continue;
      if (state.get(ref.file) === 'open') cycles.push([...stack.slice(stack.indexOf(ref.file)), ref.file]);
      else if (!state.has(ref.file)) visit(ref.file);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...tree.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

/**
 * Every module `from` loads at run time (value imports only, followed through project files),
 * each with the chain of files that leads to it. With `staticOnly`, what loads when the files
 * are imported, before any dynamic `import()` runs.
 */
export function runtimeClosure(tree: SourceTree, from: readonly string[], { staticOnly = false } = {}): Map<string, string[]> {
  const reached = new Map<string, string[]>();
  const queue: [string, string[]][] = from.map((f) => [f, [f]]);
  while (queue.length > 0) {
    const [file, chain] = queue.shift() as [string, string[]];
    for (const ref of importsOf(file, tree.get(file) ?? '')) {
      if (ref.typeOnly || (staticOnly && ref.dynamic)) continue;
      const key = ref.file ?? ref.spec;
      if (reached.has(key)) continue;
      reached.set(key, [...chain, key]);
      if (ref.file && tree.has(ref.file)) queue.push([ref.file, [...chain, ref.file]]);
    }
  }
  return reached;
}

/** A file's path from the project root, with forward slashes. */
export const projectPath = (root: string, absolute: string) => relative(root, absolute).split('\\').join('/');
