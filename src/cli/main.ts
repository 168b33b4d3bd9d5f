// The `nexus` command: the composition root (the tree is in program.ts);
// nothing imports this file.

import { CommanderError, type Command } from 'commander';
import { EXIT_USAGE } from '../core/errors.ts';
import { reportError } from './runtime.ts';
import { buildProgram, commandOf } from './program.ts';

function exitOverrideDeep(cmd: Command): void {
  cmd.exitOverride();
  cmd.commands.forEach(exitOverrideDeep);
}

async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(commandOf(argv));
  exitOverrideDeep(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exit code 0; anything else is bad usage.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return reportError(err);
  }
}

process.exit(await main(process.argv));
