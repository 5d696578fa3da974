import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = new URL('../../functions/core/', import.meta.url).pathname;

describe('functions/core stays pure', () => {
  const files = readdirSync(CORE).filter((f) => f.endsWith('.ts'));
  /** Static (`from '…'`, `from "…"`), side-effect (`import '…'`) and dynamic (`import('…')`) import specifiers. */
  const importsOf = (source: string) => [...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  it('has files to check', () => expect(files.length).toBeGreaterThan(5));

  it('finds every form of import', () => {
    expect(importsOf(`import { a } from './a.js';\nimport type { B } from "./b.js";\nimport 'c';\nconst d = await import("d");\nexport * from './e.js';`))
      .toEqual(['./a.js', './b.js', 'c', 'd', './e.js']);
    expect(files.flatMap((f) => importsOf(readFileSync(join(CORE, f), 'utf8'))).length).toBeGreaterThan(0);
  });

  it.each(files)('%s imports nothing with I/O and reads no clock or environment', (file) => {
    const source = readFileSync(join(CORE, file), 'utf8');
    const imports = importsOf(source);
    for (const spec of imports) {
      expect(spec === 'zod' || spec?.startsWith('./'), `${file} imports ${spec}`).toBe(true);
    }
    expect(source).not.toMatch(/process\.env|Date\.now\(|new Date\(\)|Math\.random|node:/);
  });

  it('has no import cycle: every file builds only on files that do not build on it', () => {
    const edges = new Map(
      files.map((f) => [f, importsOf(readFileSync(join(CORE, f), 'utf8')).filter((s) => s?.startsWith('./')).map((s) => (s as string).slice(2).replace(/\.js$/, '.ts'))]),
    );
    const cycles: string[] = [];
    const done = new Set<string>();
    const visit = (file: string, path: readonly string[]) => {
      if (path.includes(file)) return void cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      if (done.has(file)) return;
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      done.add(file);
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
