import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = new URL('../../functions/core/', import.meta.url).pathname;

describe('functions/core stays pure', () => {
  const files = readdirSync(CORE).filter((f) => f.endsWith('.ts'));
  it('has files to check', () => expect(files.length).toBeGreaterThan(5));

  it.each(files)('%s imports nothing with I/O and reads no clock or environment', (file) => {
    const source = readFileSync(join(CORE, file), 'utf8');
    const imports = [...source.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
    for (const spec of imports) {
      expect(spec === 'zod' || spec?.startsWith('./'), `${file} imports ${spec}`).toBe(true);
    }
    expect(source).not.toMatch(/process\.env|Date\.now\(|new Date\(\)|Math\.random|node:/);
  });
});
