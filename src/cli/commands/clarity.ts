// `nexus clarity user add|list|passwd|role|remove`, `nexus clarity refresh`,
// `nexus clarity source add`, `nexus clarity paths`. `nexus clarity` alone
// is the service. Passwords are read from standard input (one line), so they
// never appear in the process list or shell history.

import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { getRuntime } from '../runtime.ts';
import { closePlatform, prepareDatabase } from '../platform.ts';
import { clarityPaths } from '../../clarity/paths.ts';
import { JsonStore } from '../../clarity/store.ts';
import { addUser, listUsers, parseRole, removeUser, setPassword, setRole } from '../../clarity/users.ts';
import { Engine } from '../../clarity/engine.ts';
import { refreshMarts } from '../../clarity/refresh.ts';
import { addSource, type Source } from '../../clarity/sources.ts';
import { usageError } from '../../core/errors.ts';

const out = (s: string) => process.stdout.write(s + '\n');

async function readPassword(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line.replace(/\r$/, '');
  }
  throw usageError('clarity_password_missing', 'Give the password on standard input (one line).');
}

const store = () => new JsonStore(clarityPaths(getRuntime().settings.home).state);

async function withEngine<T>(fn: (e: Engine) => Promise<T>): Promise<T> {
  const e = await Engine.open(clarityPaths(getRuntime().settings.home), { memoryLimit: getRuntime().settings.clarityMemoryLimit });
  try {
    return await fn(e);
  } finally {
    e.close();
  }
}

export function registerClarity(program: Command): void {
  const clarity = program.commands.find((c) => c.name() === 'clarity') ?? program.command('clarity').description('Clarity BI');
  const user = clarity.command('user').description('Clarity accounts (roles: viewer, editor, admin)');
  user
    .command('add <name>')
    .description('add an account; the password is read from standard input')
    .option('--role <role>', 'viewer, editor or admin', 'viewer')
    .action(async (name: string, o: { role: string }) => {
      const role = parseRole(o.role);
      await addUser(store(), name, role, await readPassword('password: '));
      out(`added ${name} (${role})`);
    });
  user
    .command('list')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const users = listUsers(store());
      out(o.json ? JSON.stringify(users, null, 2) : users.map((u) => `${u.name.padEnd(24)} ${u.role.padEnd(7)} ${u.created_at}`).join('\n') || '(no users)');
    });
  user
    .command('passwd <name>')
    .description('set a new password, read from standard input')
    .action(async (name: string) => {
      await setPassword(store(), name, await readPassword('new password: '));
      out(`password of ${name} changed`);
    });
  user
    .command('role <name> <role>')
    .action((name: string, role: string) => {
      setRole(store(), name, parseRole(role));
      out(`${name} is now ${role}`);
    });
  user
    .command('remove <name>')
    .action((name: string) => {
      removeUser(store(), name);
      out(`removed ${name}`);
    });

  clarity
    .command('refresh')
    .description('copy what changed in the marts into the DuckDB file (while the service is stopped; it refreshes itself)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const p = await prepareDatabase(getRuntime(), { start: false, setup: false });
      try {
        const r = await withEngine((e) => refreshMarts(e, p.db));
        out(o.json ? JSON.stringify(r, null, 2) : r.tables.map((t) => `${`${t.schema}.${t.table}`.padEnd(36)} ${t.mode.padEnd(11)} ${String(t.copied).padStart(9)} of ${t.rows}`).join('\n') + `\n${Math.round(r.ms)} ms`);
      } finally {
        await closePlatform(p);
      }
    });

  clarity
    .command('source-add <name> <kind> <location>')
    .description('add an extra source: kind csv|parquet (a file in $NEXUS_HOME/clarity/sources) or postgres (a URL)')
    .option('--schemas <list>', 'postgres: comma-separated schemas', 'public')
    .action(async (name: string, kind: string, location: string, o: { schemas: string }) => {
      let s: Source;
      if (kind === 'csv' || kind === 'parquet') s = { name, kind, file: location };
      else if (kind === 'postgres') s = { name, kind, url: location, schemas: o.schemas.split(',').map((x) => x.trim()).filter(Boolean) };
      else throw usageError('clarity_source_invalid', 'kind must be csv, parquet or postgres');
      const r = await withEngine((e) => addSource(e, store(), s));
      out(`added ${name}: ${typeof r === 'number' ? `${r} rows` : `${r.tables.length} tables`}`);
    });

  clarity
    .command('paths')
    .description('where Clarity keeps its state (back up state/) and its engine file')
    .action(() => {
      out(JSON.stringify(clarityPaths(getRuntime().settings.home), null, 2));
    });
}
