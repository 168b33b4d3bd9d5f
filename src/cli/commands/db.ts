// `nexus db start|stop|status|url` and `nexus migrate`.

import type { Command } from 'commander';
import { getRuntime } from '../runtime.ts';
import { closePlatform, prepareDatabase } from '../platform.ts';
import { embeddedCluster, openDatabase, targetFromUrl } from '../../db/connection.ts';
import { migrationStatus } from '../../db/migrate.ts';
import { usageError } from '../../core/errors.ts';
import { isRoleName, ROLE_NAMES, type RoleName } from '../../db/roles.ts';
import { redactUrl } from '../../core/settings.ts';

function requireEmbedded(action: string): void {
  if (getRuntime().settings.databaseUrl) {
    throw usageError('db_external', `DATABASE_URL is set, so the database is external and nexus does not ${action} it.`);
  }
}

export function registerDb(program: Command): void {
  const db = program.command('db').description('manage the embedded PostgreSQL cluster (start, stop, status, url)');

  db.command('start')
    .description('start the embedded cluster (initdb on first use), set up roles, database and migrations')
    .action(async () => {
      requireEmbedded('start');
      const rt = getRuntime();
      const p = await prepareDatabase(rt, { start: true, setup: true });
      await p.db.close();
      const st = await p.cluster!.status();
      process.stdout.write(`PostgreSQL ${p.cluster!.binaries.version} running on 127.0.0.1:${st.port} (data: ${p.cluster!.dataDir})\n`);
    });

  db.command('stop')
    .description('stop the embedded cluster')
    .action(async () => {
      requireEmbedded('stop');
      const stopped = await embeddedCluster(getRuntime().settings).stop();
      process.stdout.write(stopped ? 'stopped\n' : 'not running\n');
    });

  db.command('status')
    .description('show whether the database is running and where')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { settings } = getRuntime();
      let status: Record<string, unknown>;
      if (settings.databaseUrl) {
        const t = targetFromUrl(settings.databaseUrl);
        status = { mode: 'external', url: redactUrl(settings.databaseUrl), host: t.host, port: t.port, database: t.database };
      } else {
        const cluster = embeddedCluster(settings);
        const st = await cluster.status();
        status = { mode: 'embedded', ...st, database: settings.dbName, data_dir: cluster.dataDir, binaries: cluster.binaries.binDir, version: cluster.binaries.version };
      }
      if (opts.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      else process.stdout.write(Object.entries(status).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
      if (status.mode === 'embedded' && !status.running) process.exitCode = 3;
    });

  db.command('url')
    .description(`print a connection URL (role: ${ROLE_NAMES.join(', ')}, or admin)`)
    .option('--role <role>', 'login to print the URL for', 'nexus_owner')
    .action(async (opts: { role: string }) => {
      if (opts.role !== 'admin' && !isRoleName(opts.role)) {
        throw usageError('invalid_option', `--role "${opts.role}" is not a role; it accepts ${ROLE_NAMES.join(', ')} or admin`);
      }
      const { db } = await openDatabase(getRuntime().settings);
      process.stdout.write(db.url(opts.role as RoleName | 'admin') + '\n');
    });

  program
    .command('migrate')
    .description('apply pending database migrations (numbered .sql files) in order')
    .option('--status', 'list migrations and when each was applied, change nothing')
    .action(async (opts: { status?: boolean }) => {
      const rt = getRuntime();
      const p = await prepareDatabase(rt, { start: false, setup: !opts.status });
      try {
        if (opts.status) {
          for (const m of await migrationStatus(p.db)) {
            process.stdout.write(`${m.appliedAt ? m.appliedAt.toISOString() : 'pending                 '}  ${m.file}\n`);
          }
          return;
        }
        const res = p.migration!;
        process.stdout.write(`${res.applied.length} applied, ${res.alreadyApplied} already applied\n`);
        for (const m of res.applied) process.stdout.write(`  applied ${m.file}\n`);
      } finally {
        await closePlatform(p);
      }
    });
}
