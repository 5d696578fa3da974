/** The command line's shape, read in process: every command, its help and its example. */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { program } from '../../cli/program.js';

/** What `rollout <args>` writes, and how commander ends it (help throws with exitOverride). */
function run(args: readonly string[]): { text: string; code: string | undefined } {
  const root = program();
  let text = '';
  for (const c of [root, ...root.commands]) c.configureOutput({ writeOut: (s) => void (text += s), writeErr: (s) => void (text += s) });
  try {
    root.parse(['node', 'rollout', ...args]);
    return { text, code: undefined };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { text, code: error.code };
  }
}

const VERBS = ['simulate', 'demo', 'plan'];

describe('rollout', () => {
  it('has the rehearsal commands', () => {
    expect(program().commands.map((c) => c.name())).toEqual(VERBS);
  });

  it.each(VERBS)('%s --help shows an example', (verb) => {
    const { text, code } = run([verb, '--help']);
    expect(code).toBe('commander.helpDisplayed');
    expect(text).toMatch(new RegExp(`\\nExamples?:\\n  rollout ${verb}`));
  });
});
