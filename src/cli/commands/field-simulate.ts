// `nexus field simulate`: a fleet of simulated devices against the running
// platform (`nexus up` on the same NEXUS_HOME: endpoints.json names the
// servers, Guardian's registry issues the enrolment codes, the database is
// read for the final check).

import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { usageError } from '../../core/errors.ts';
import { getRuntime } from '../runtime.ts';
import { closePlatform, prepareDatabase } from '../platform.ts';
import { nodeHttp } from '../../field/node.ts';
import { simulate, type Progress, type SimReport } from '../../field-sim/fleet.ts';
import { formatProgress, formatReport } from '../../field-sim/report.ts';
import { checksSourceAddress } from '../../sync/auth.ts';

function num(name: string, min: number, max: number, integer = true) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw usageError('invalid_option', `--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    }
    return n;
  };
}

export function registerSimulate(field: Command): void {
  field
    .command('simulate')
    .description('run a fleet of simulated devices against the running platform, then check the server and every device')
    .option('--devices <n>', 'devices to enrol (simulated devices take addresses outside the VPN, see src/field-sim/README.md)', num('devices', 1, 10_000), 5)
    .option('--patients <n>', 'patients to create across the fleet', num('patients', 1, 1_000_000), 50)
    .option('--sessions <n>', 'sessions to add', num('sessions', 0, 10_000_000), 150)
    .option('--attachments <n>', 'documents and images to attach', num('attachments', 0, 1_000_000), 10)
    .option('--offline-ratio <r>', 'share of devices offline in any round', num('offline-ratio', 0, 0.95, false), 0.2)
    .option('--duration <seconds>', 'how long the work is spread over', num('duration', 1, 86_400), 20)
    .option('--groups <n>', 'teams: device i joins group i mod n and sees only its team\u2019s patients', num('groups', 1, 10_000), 1)
    .option('--concurrency <n>', 'devices working or syncing at the same moment', num('concurrency', 1, 256), 16)
    .option('--no-etl', 'do not run the ETL in this process (the platform\u2019s ETL service builds the pull feed)')
    .option('--keep-devices', 'keep the simulated devices enrolled afterwards (default: revoke them, release their addresses)')
    .option('--seed <n>', 'random seed (a run is repeatable)', num('seed', 0, 2 ** 31), 1)
    .option('--work-dir <dir>', 'where the device folders go (default $NEXUS_HOME/field-sim/<time>)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { devices: number; patients: number; sessions: number; attachments: number; offlineRatio: number; duration: number; groups: number; concurrency: number; etl: boolean; keepDevices?: boolean; seed: number; workDir?: string; json?: boolean }) => {
      const rt = getRuntime();
      const home = rt.settings.home;
      const endpointsFile = path.join(home, 'endpoints.json');
      if (!existsSync(endpointsFile)) throw usageError('platform_not_running', `${endpointsFile} not found: start the platform with \`nexus up\` (same NEXUS_HOME) first`);
      const ep = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Record<string, string>;
      if (!ep.guardian || !ep.sync) throw usageError('platform_not_running', `${endpointsFile} lacks guardian/sync endpoints`);
      // Simulated devices are not on the VPN (src/field-sim/README.md): a server that checks source addresses refuses them all.
      if (checksSourceAddress(rt.settings, rt.settings.syncHost)) {
        throw usageError('source_address_checked', `nexus-sync checks that requests come from the device's VPN address (NEXUS_CHECK_SOURCE_ADDRESS=${rt.settings.checkSourceAddress}, NEXUS_SYNC_HOST=${rt.settings.syncHost}), which simulated devices do not have; simulate against a platform with NEXUS_CHECK_SOURCE_ADDRESS=false or sync on loopback`);
      }
      const platform = await prepareDatabase(rt, { start: false, setup: false });
      const http = nodeHttp({ ca: ep.ca ? readFileSync(ep.ca, 'utf8') : undefined });
      const tty = process.stderr.isTTY;
      let lastLine = 0;
      const progress = (p: Progress) => {
        if (!tty && Date.now() - lastLine < 5000 && p.done !== p.total) return;
        lastLine = Date.now();
        process.stderr.write(tty ? `\r${formatProgress(p)}\x1b[K` : `${formatProgress(p)}\n`);
      };
      let report: SimReport;
      try {
        report = await simulate(
          {
            devices: opts.devices, patients: opts.patients, sessions: opts.sessions, attachments: opts.attachments,
            offlineRatio: opts.offlineRatio, durationSeconds: opts.duration, seed: opts.seed,
            groups: opts.groups, concurrency: opts.concurrency, runEtl: opts.etl, keepDevices: !!opts.keepDevices,
            workDir: path.resolve(opts.workDir ?? path.join(home, 'field-sim', new Date().toISOString().replace(/[:.]/g, '-'))),
          },
          { home, db: platform.db, http, guardianUrl: ep.guardian, syncUrl: ep.sync, caFile: ep.ca ?? null, progress },
        );
      } finally {
        if (tty) process.stderr.write('\n');
        await http.close();
        await closePlatform(platform);
      }
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      if (!report.check.ok) process.exitCode = 1;
    });
}
