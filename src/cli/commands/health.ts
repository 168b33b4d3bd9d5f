// `nexus health check [--json]`: every health check once, printed; exit 1
// when one fails. `nexus health` alone is the service.

import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { getRuntime } from '../runtime.ts';
import { closePlatform, endpointsFile, prepareDatabase } from '../platform.ts';
import { checkContext } from '../../health/monitor.ts';
import { overall, runChecks } from '../../health/runner.ts';
import { watchedEndpoints } from '../../health/endpoints.ts';

export function registerHealth(program: Command): void {
  const health = program.commands.find((c) => c.name() === 'health') ?? program.command('health').description('health checks');
  health
    .command('check')
    .description('run every health check once and print the results (exit 1 if any fails)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const rt = getRuntime();
      const file = endpointsFile(rt.settings.home);
      const published = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
      let p;
      try {
        p = await prepareDatabase(rt, { start: false, setup: false });
      } catch (err) {
        // The database being down is a health finding, not a usage error.
        const r = { name: 'database', status: 'fail', message: (err as Error).message };
        process.stdout.write(o.json ? JSON.stringify({ status: 'fail', checks: [r] }, null, 2) + '\n' : `fail  database             ${r.message}\noverall: fail\n`);
        process.exitCode = 1;
        return;
      }
      try {
        const results = await runChecks(checkContext(rt.settings, p.db, watchedEndpoints(rt.settings, published)));
        const status = overall(results);
        if (o.json) process.stdout.write(JSON.stringify({ status, checks: results }, null, 2) + '\n');
        else process.stdout.write(results.map((r) => `${r.status.padEnd(4)}  ${r.name.padEnd(20)} ${r.message}`).join('\n') + `\noverall: ${status}\n`);
        if (status === 'fail') process.exitCode = 1;
      } finally {
        await closePlatform(p);
      }
    });
}
