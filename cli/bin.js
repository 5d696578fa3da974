#!/usr/bin/env node
// The `rollout` executable. In a clone of the repository it lets Node load the TypeScript sources
// through tsx; the installed package ships no sources, only the compiled CLI in dist/.
import { existsSync } from 'node:fs';

const sources = new URL('./main.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../dist/cli/main.js');
}
