// The `nexus` command tree. Each command group lives in its own module and is
// loaded only when the command line names it: `nexus import` must not pay,
// in start-up time and memory, for DuckDB, exceljs, Chromium's driver and
// every service. Help for the whole tree (or an unknown command) loads all.

import { Command } from 'commander';
import { readFileSync } from 'node:fs';

type Register = (program: Command) => void;

// In registration order: a service's command comes from `up`, and the group
// of the same name adds its subcommands under it.
const GROUPS = {
  up: async () => (await import('./commands/up.ts')).registerUp,
  params: async () => (await import('./commands/params.ts')).registerParams,
  db: async () => (await import('./commands/db.ts')).registerDb,
  tls: async () => (await import('./commands/tls.ts')).registerTls,
  etl: async () => (await import('./commands/etl.ts')).registerEtl,
  device: async () => (await import('./commands/device.ts')).registerDevice,
  guardian: async () => (await import('./commands/guardian.ts')).registerGuardian,
  peer: async () => (await import('./commands/peer.ts')).registerPeer,
  gate: async () => (await import('./commands/gate.ts')).registerGate,
  backup: async () => (await import('./commands/backup.ts')).registerBackup,
  health: async () => (await import('./commands/health.ts')).registerHealth,
  replica: async () => (await import('./commands/replica.ts')).registerReplica,
  field: async () => (await import('./commands/field.ts')).registerField,
  crawl: async () => (await import('./commands/crawl.ts')).registerCrawl,
  import: async () => (await import('./commands/import.ts')).registerImport,
  clarity: async () => (await import('./commands/clarity.ts')).registerClarity,
  install: async () => (await import('./commands/install.ts')).registerInstall,
} satisfies Record<string, () => Promise<Register>>;

type Group = keyof typeof GROUPS;

/** The groups that define each top-level command; test/cli/program.test.ts checks it against the whole tree. */
export const OWNERS: Record<string, Group[]> = {
  up: ['up'],
  sync: ['up'],
  'etl-staging': ['up'],
  'etl-marts': ['up'],
  guardian: ['up', 'guardian'],
  crawl: ['up', 'crawl'],
  clarity: ['up', 'clarity'],
  backup: ['up', 'backup'],
  health: ['up', 'health'],
  params: ['params'],
  db: ['db'],
  migrate: ['db'],
  tls: ['tls'],
  etl: ['etl'],
  device: ['device'],
  peer: ['peer'],
  gate: ['gate'],
  replica: ['replica'],
  field: ['field'],
  import: ['import'],
  install: ['install'],
};

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The tree for a command line naming `command` (all of it when undefined or unknown). */
export async function buildProgram(command?: string): Promise<Command> {
  const program = new Command('nexus')
    .description('Nexus: self-hosted field data platform (sync, staging → warehouse → marts, Clarity)')
    .version(pkg.version)
    .showHelpAfterError('(run nexus --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const wanted = command !== undefined && Object.hasOwn(OWNERS, command) ? new Set(OWNERS[command]) : undefined;
  for (const group of Object.keys(GROUPS) as Group[]) {
    if (!wanted || wanted.has(group)) (await GROUPS[group]())(program);
  }
  program.commands.forEach((c) => c.showHelpAfterError());
  return program;
}

/** The command a command line names: its first word that is not an option. */
export function commandOf(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}
