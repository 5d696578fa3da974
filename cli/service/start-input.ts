/**
 * `rollout start`'s input: the rollout input as flags, as a JSON or YAML file, or a file with flags
 * laid over it; checked here with the API's own rules (core's `parseRolloutInput`), so bad input
 * is refused with the same messages before anything in AWS is asked.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseIdempotencyKey } from '../../functions/core/api.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { type ParsedInput, parseRolloutInput } from '../../functions/core/input.js';
import { UsageError } from '../exit.js';
import { parseStrategyText } from '../options.js';

/** `rollout start`'s input options as commander hands them over. */
export interface StartInputOptions {
  readonly input?: string | undefined;
  readonly function?: string | undefined;
  readonly alias?: string | undefined;
  readonly version?: string | undefined;
  readonly strategy?: string | undefined;
  readonly health?: string | undefined;
  readonly rolloutId?: string | undefined;
}

/** The flag that sets each top-level field of the rollout input, to name it in a refusal. */
const FLAGS: Readonly<Record<string, { readonly flag: string; readonly option: keyof StartInputOptions }>> = {
  functionName: { flag: '--function', option: 'function' },
  alias: { flag: '--alias', option: 'alias' },
  targetVersion: { flag: '--version', option: 'version' },
  strategy: { flag: '--strategy', option: 'strategy' },
  health: { flag: '--health', option: 'health' },
  rolloutId: { flag: '--rollout-id', option: 'rolloutId' },
};

/** A rollout input file: a JSON or YAML object. */
function readInputFile(file: string, read: (file: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new UsageError([`--input: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  const yaml = /\.ya?ml$/i.test(file);
  let value: unknown;
  try {
    value = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError([`--input: ${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError([`--input: ${file} must hold the rollout input as one object ({ functionName, alias, targetVersion, ... })`]);
  }
  return value as Record<string, unknown>;
}

/**
 * The body to send to `POST /rollouts` and its local parse (with the plan). Flags override the
 * file's fields. Throws UsageError naming each broken rule, with the flag that set the field.
 */
export function startInputOf(options: StartInputOptions, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): { body: Record<string, unknown>; parsed: ParsedInput } {
  if (options.input === undefined && options.function === undefined) {
    throw new UsageError(['give the rollout input: --function, --alias and --version (and --strategy, --health as you need), or --input FILE']);
  }
  const body: Record<string, unknown> = options.input !== undefined ? readInputFile(options.input, read) : {};
  const problems: string[] = [];
  if (options.function !== undefined) body.functionName = options.function;
  if (options.alias !== undefined) body.alias = options.alias;
  if (options.version !== undefined) body.targetVersion = options.version;
  if (options.rolloutId !== undefined) body.rolloutId = options.rolloutId;
  if (options.strategy !== undefined) {
    const s = parseStrategyText(options.strategy);
    if (s.ok) body.strategy = s.strategy;
    else problems.push(s.problem);
  }
  if (options.health !== undefined) {
    try {
      body.health = JSON.parse(options.health) as unknown;
    } catch (error) {
      problems.push(`--health: must be a JSON health policy object, e.g. '{"minRequests":200}'; this is not valid JSON (${(error as Error).message}), got ${options.health}`);
    }
  }
  if (problems.length > 0) throw new UsageError(problems);
  try {
    return { body, parsed: parseRolloutInput(body) };
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const named = (field: string) => {
      const set = FLAGS[field.split(/[.[]/)[0] ?? ''];
      return set !== undefined && options[set.option] !== undefined ? `${field} (${set.flag})` : field;
    };
    throw new UsageError(['the rollout input is invalid:', ...error.issues.map((i) => `  ${named(i.field)}: ${i.rule}`)], { errors: error.issues });
  }
}

/** `--idempotency-key`, checked by the API's rule; a fresh UUID when none is given. */
export function idempotencyKeyOf(option: string | undefined, fresh: () => string = () => globalThis.crypto.randomUUID()): string {
  if (option === undefined) return fresh();
  try {
    return parseIdempotencyKey(option) ?? fresh();
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new UsageError(error.issues.map((i) => `--idempotency-key: ${i.rule}, got ${JSON.stringify(option)}`));
  }
}
