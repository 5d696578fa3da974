/**
 * The workflow definition's canonical layout: two-space JSON, except that each Retry and Catch
 * entry and each Choice rule takes one line, so the file reads as the story of a rollout rather
 * than as retry boilerplate. A test holds `statemachine/rollout.asl.json` to it.
 *
 * Run: npm run format:asl   (rewrites the file in place)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ASL_PATH } from '../functions/names.js';

/** Lists whose entries are written one to a line. */
const ONE_LINE_ENTRIES = new Set(['Retry', 'Catch', 'Choices']);

const isScalar = (value: unknown) => value === null || typeof value !== 'object';

function oneLine(value: unknown): string {
  if (isScalar(value)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`;
  const entries = Object.entries(value as object);
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`).join(', ')} }`;
}

function layout(value: unknown, indent: string, key?: string): string {
  if (isScalar(value)) return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isScalar)) return oneLine(value);
    const item = key !== undefined && ONE_LINE_ENTRIES.has(key) ? oneLine : (v: unknown) => layout(v, inner);
    return `[\n${value.map((v) => `${inner}${item(v)}`).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as object);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${layout(v, inner, k)}`).join(',\n')}\n${indent}}`;
}

/**
 * A workflow definition in the canonical layout, with a final newline.
 *
 * @example formatAsl({ Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }] })
 * // '{\n  "Retry": [\n    { "ErrorEquals": ["States.ALL"], "MaxAttempts": 2 }\n  ]\n}\n'
 */
export function formatAsl(definition: unknown): string {
  return `${layout(definition, '')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(ASL_PATH, formatAsl(JSON.parse(readFileSync(ASL_PATH, 'utf8'))));
}
