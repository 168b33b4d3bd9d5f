// `nexus tls init`: the internal CA and the services' server certificate.

import type { Command } from 'commander';
import { getRuntime } from '../runtime.ts';
import { ensureTls } from '../../tls/index.ts';

export function registerTls(program: Command): void {
  const tls = program.command('tls').description('internal CA and server certificates under $NEXUS_HOME/tls');
  tls
    .command('init')
    .description('create the internal CA (once) and a server certificate for NEXUS_TLS_SANS + localhost')
    .action(async () => {
      const { settings } = getRuntime();
      const res = await ensureTls(settings.home, settings.tlsSans);
      process.stdout.write(
        [
          `CA: ${res.paths.caCert}${res.caCreated ? ' (created)' : ''}`,
          `server certificate: ${res.paths.cert}${res.serverIssued ? ' (issued)' : ' (kept)'} for ${res.sans.join(', ')}`,
          'Install the CA on every device that talks to the platform (iPads: a configuration profile).',
        ].join('\n') + '\n',
      );
    });
}
