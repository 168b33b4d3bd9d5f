// The `nexus` command: the composition root. Every command registers here;
// nothing imports this file.

import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_USAGE } from '../core/errors.ts';
import { reportError } from './runtime.ts';
import { registerDb } from './commands/db.ts';
import { registerUp } from './commands/up.ts';
import { registerParams } from './commands/params.ts';
import { registerTls } from './commands/tls.ts';
import { registerEtl } from './commands/etl.ts';
import { registerDevice } from './commands/device.ts';
import { registerGuardian } from './commands/guardian.ts';
import { registerPeer } from './commands/peer.ts';
import { registerGate } from './commands/gate.ts';
import { registerBackup } from './commands/backup.ts';
import { registerHealth } from './commands/health.ts';
import { registerReplica } from './commands/replica.ts';
import { registerField } from './commands/field.ts';
import { registerCrawl } from './commands/crawl.ts';
import { registerImport } from './commands/import.ts';
import { registerClarity } from './commands/clarity.ts';
import { registerInstall } from './commands/install.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('nexus')
    .description('Nexus: self-hosted field data platform (sync, staging → warehouse → marts, Clarity)')
    .version(pkg.version)
    .showHelpAfterError('(run nexus --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerUp(program);
  registerParams(program);
  registerDb(program);
  registerTls(program);
  registerEtl(program);
  registerDevice(program);
  registerGuardian(program);
  registerPeer(program);
  registerGate(program);
  registerBackup(program);
  registerHealth(program);
  registerReplica(program);
  registerField(program);
  registerCrawl(program);
  registerImport(program);
  registerClarity(program);
  registerInstall(program);
  program.commands.forEach((c) => c.showHelpAfterError());
  return program;
}

function exitOverrideDeep(cmd: Command): void {
  cmd.exitOverride();
  cmd.commands.forEach(exitOverrideDeep);
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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
