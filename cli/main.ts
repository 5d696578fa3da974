/**
 * The `rollout` command's entry point: checks the Node version, parses the command line (see
 * `program.ts`), and turns every failure into its message and exit code, never a stack trace
 * (except for a bug, which asks to be reported).
 */
import { CommanderError } from 'commander';
import { CommandFailure, EXIT } from './exit.js';
import { err } from './output.js';
import { program } from './program.js';

async function main(argv: readonly string[]): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    err(`rollout needs Node.js 22 or later; this is ${process.version}. Run it through npm (npm start, npx rollout), which uses the project's Node.`);
    process.exitCode = EXIT.usage;
    return;
  }
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    await program().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help, or the version).
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : EXIT.usage;
    } else if (error instanceof CommandFailure) {
      for (const line of error.lines) err(line.startsWith('  ') ? line : `error: ${line}`);
      process.exitCode = error.exitCode;
    } else {
      err(`rollout: unexpected error, please report it:\n${(error as Error).stack ?? String(error)}`);
      process.exitCode = EXIT.notPromoted;
    }
  }
}

await main(process.argv);
