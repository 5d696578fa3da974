/** `rollout start`'s input: flags, a file, or both; checked with the API's own rules and messages. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/exit.js';
import { idempotencyKeyOf, startInputOf } from '../../cli/service/start-input.js';

const files: Record<string, string> = {
  'release.yaml': 'functionName: orders\nalias: live\nstrategy: { type: canary, percent: 5, bakeSeconds: 600 }\nhealth: { minRequests: 200 }\n',
  'release.json': '{"functionName":"orders","alias":"live","targetVersion":"8"}',
  'legacy.json': '{"function-name":"orders","alias-name":"live","new-version":"8","steps":4,"interval":120,"type":"linear"}',
  'broken.json': '{"functionName":',
  'list.yaml': '- functionName: orders\n',
};
const read = (file: string) => {
  const text = files[file];
  if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return text;
};
const problems = (options: Parameters<typeof startInputOf>[0]) => {
  try {
    startInputOf(options, read);
    return [];
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return [...error.lines];
  }
};

describe('startInputOf', () => {
  it('takes the input from flags, a strategy preset or JSON, and a health policy as JSON', () => {
    const { body, parsed } = startInputOf({ function: 'orders', alias: 'live', version: '8', strategy: '{"type":"linear","percent":20,"intervalSeconds":120}', health: '{"minRequests":50}' }, read);
    expect(body).toEqual({ functionName: 'orders', alias: 'live', targetVersion: '8', strategy: { type: 'linear', percent: 20, intervalSeconds: 120 }, health: { minRequests: 50 } });
    expect(parsed.plan.steps).toHaveLength(4);
  });

  it('reads a YAML or JSON file, and flags override its fields', () => {
    const { body, parsed } = startInputOf({ input: 'release.yaml', version: '9', rolloutId: 'release-2026-01-05' }, read);
    expect(body).toEqual({ functionName: 'orders', alias: 'live', targetVersion: '9', rolloutId: 'release-2026-01-05', strategy: { type: 'canary', percent: 5, bakeSeconds: 600 }, health: { minRequests: 200 } });
    expect(parsed.input.health.minRequests).toBe(200);
    expect(startInputOf({ input: 'release.json' }, read).body.targetVersion).toBe('8');
    // aws-lambda-deploy's format, as the API takes it.
    expect(startInputOf({ input: 'legacy.json' }, read).parsed.plan.steps).toHaveLength(3);
  });

  it("refuses input the API would refuse, with the API's messages, naming the flag that set each field", () => {
    expect(problems({ function: 'orders', alias: '123', version: '$LATEST' })).toEqual([
      'the rollout input is invalid:',
      '  alias (--alias): must be 1-128 letters, digits, "-" or "_", not all digits',
      expect.stringMatching(/^ {2}targetVersion \(--version\): must be a published version/),
    ]);
    expect(problems({ input: 'release.yaml' })).toEqual(['the rollout input is invalid:', expect.stringMatching(/^ {2}targetVersion: is required/)]);
  });

  it('says what is missing, and what is wrong with a file or a JSON flag', () => {
    expect(problems({})).toEqual(['give the rollout input: --function, --alias and --version (and --strategy, --health as you need), or --input FILE']);
    expect(problems({ input: 'nope.yaml' })).toEqual(['--input: cannot read nope.yaml: ENOENT']);
    expect(problems({ input: 'broken.json' })[0]).toMatch(/^--input: broken\.json is not valid JSON: /);
    expect(problems({ input: 'list.yaml' })).toEqual(['--input: list.yaml must hold the rollout input as one object ({ functionName, alias, targetVersion, ... })']);
    expect(problems({ function: 'orders', alias: 'live', version: '8', strategy: '{"type":', health: '{x' })).toEqual([
      expect.stringMatching(/^--strategy: must be a preset name or a JSON strategy object; this is not valid JSON/),
      expect.stringMatching(/^--health: must be a JSON health policy object, e.g. '\{"minRequests":200\}'; this is not valid JSON/),
    ]);
  });
});

describe('idempotencyKeyOf', () => {
  it('is the key given, checked by the API rule, or a fresh UUID', () => {
    expect(idempotencyKeyOf('build-417')).toBe('build-417');
    expect(idempotencyKeyOf(undefined)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(() => idempotencyKeyOf('two words')).toThrow('--idempotency-key: must be 1-255 visible ASCII characters, e.g. a UUID, got "two words"');
  });
});
