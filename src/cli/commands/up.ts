// `nexus up`: the whole platform in one process group, for development and
// demos. Writes endpoints.json once everything is ready; on SIGINT/SIGTERM
// stops everything and removes it.

import type { Command } from 'commander';
import { SERVICES } from '../services.ts';
import { getRuntime, waitForStopSignal } from '../runtime.ts';
import { closePlatform, prepareDatabase, removeEndpoints, startServices, stopServices, writeEndpoints, endpointsFile } from '../platform.ts';
import type { ServiceDefinition } from '../../core/service.ts';
import { ensureTls, caCertPath } from '../../tls/index.ts';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run the whole platform (database, migrations, every service) until Ctrl-C')
    .action(async () => runPlatform(await Promise.all(SERVICES.map((s) => s.load())), true));

  for (const def of SERVICES) {
    program
      .command(def.name)
      .description(`run the ${def.name} service alone: ${def.description}`)
      .action(async () => runPlatform([await def.load()], false));
  }
}

/** What a person needs once the platform is up: where each part answers. */
function banner(home: string, endpoints: Record<string, string>): string {
  const rows: Array<[string, string | undefined]> = [
    ['Clarity (reports)', endpoints.clarity],
    ['field web app', endpoints.sync && `${endpoints.sync}/field/`],
    ['sync API (OpenAPI)', endpoints.sync && `${endpoints.sync}/v1/openapi.json`],
    ['Guardian (enrolment)', endpoints.guardian],
    ['health', endpoints.health && `${endpoints.health}/healthz`],
    ['the CA to trust', caCertPath(home)],
    ['all of it as JSON', endpointsFile(home)],
  ];
  const lines = rows.filter(([, v]) => v).map(([k, v]) => `  ${k.padEnd(22)}${v}`);
  return ['', 'nexus is up (Ctrl-C stops it):', ...lines, ''].join('\n') + '\n';
}

/** `withDatabase`: also start the embedded cluster and apply migrations (nexus up). */
async function runPlatform(defs: ServiceDefinition[], withDatabase: boolean): Promise<void> {
  const rt = getRuntime();
  if (withDatabase) await ensureTls(rt.settings.home, rt.settings.tlsSans);
  const needsDatabase = withDatabase || defs.some((d) => d.needsDatabase !== false);
  const platform = needsDatabase ? await prepareDatabase(rt, { start: withDatabase, setup: withDatabase }) : undefined;
  let started;
  try {
    started = await startServices(rt, platform?.db, defs);
  } catch (err) {
    await closePlatform(platform);
    throw err;
  }
  const home = rt.settings.home;
  if (withDatabase) {
    writeEndpoints(home, { database_url: platform!.db.url('nexus_owner'), ca: caCertPath(home), ...started.endpoints });
    process.stderr.write(banner(home, started.endpoints));
  }
  const signal = await waitForStopSignal();
  rt.log.info({ signal }, 'stopping');
  if (withDatabase) removeEndpoints(home);
  await stopServices(rt, started);
  await closePlatform(platform);
}
