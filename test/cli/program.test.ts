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

const CONTROL = ['abort', 'approve', 'reject', 'pause', 'resume', 'promote', 'retry'];
const VERBS = ['simulate', 'demo', 'plan', 'start', 'status', 'list', ...CONTROL, 'report'];

describe('rollout', () => {
  it('has the rehearsal commands and the commands for a deployed service', () => {
    expect(program().commands.map((c) => c.name())).toEqual(VERBS);
  });

  it.each(VERBS)('%s --help shows an example', (verb) => {
    const { text, code } = run([verb, '--help']);
    expect(code).toBe('commander.helpDisplayed');
    expect(text).toMatch(new RegExp(`\\nExamples?:\\n  rollout ${verb}`));
  });

  it.each(['start', 'status', 'list', ...CONTROL, 'report'])('%s talks to a stack: --stack (default LambdaRollout), --region, --profile, and the exit codes', (verb) => {
    const { text } = run([verb, '--help']);
    expect(text).toMatch(/--stack <name>\s+the CloudFormation stack of the service \(default:\s+"LambdaRollout"\)/);
    expect(text).toContain('--region <region>');
    expect(text).toContain('--profile <name>');
    expect(text).toContain('3 refused (another rollout holds the alias), 4 could not reach AWS.');
  });

  it('start takes --version as the version to roll out, not the program version', () => {
    expect(run(['--version']).code).toBe('commander.version');
    const { text, code } = run(['start', '--version']);
    expect(code).toBe('commander.optionMissingArgument');
    expect(text).toContain("option '--version <n>' argument missing");
  });

  it.each(['abort', 'reject'])('%s needs a reason', (verb) => {
    const { text, code } = run([verb, 'r1']);
    expect(code).toBe('commander.missingMandatoryOptionValue');
    expect(text).toContain("required option '--reason <text>' not specified");
  });

  it('approve and reject name the gate; promote keeps judging at 100% with --no-full; --wait follows a retry\'s new rollout', () => {
    for (const verb of ['approve', 'reject']) expect(run([verb, '--help']).text).toMatch(/--gate <id>\s+the gate it is about/);
    expect(run(['promote', '--help']).text).toMatch(/--no-full\s+keep judging at 100%/);
    expect(run(['retry', '--help']).text).toContain('With --wait, follows the new rollout.');
  });
});
