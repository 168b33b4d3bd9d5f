// `nexus replica setup|start|stop`: a streaming read replica on this machine
// under $NEXUS_HOME/replica (or --dir), for Clarity and pulls to read from.

import type { Command } from 'commander';
import path from 'node:path';
import { getRuntime } from '../runtime.ts';
import { closePlatform, prepareDatabase } from '../platform.ts';
import { createReplica, replicaCluster } from '../../backup/replica.ts';

export function registerReplica(program: Command): void {
  const replica = program.command('replica').description('a streaming read replica (Clarity, pulls); health watches its lag');
  const dirOf = (o: { dir?: string }) => path.resolve(o.dir ?? path.join(getRuntime().settings.home, 'replica'));

  replica
    .command('setup')
    .description('copy the primary with pg_basebackup -R and start the copy as a streaming replica')
    .option('--dir <dir>', 'folder of the replica (default $NEXUS_HOME/replica)')
    .action(async (o: { dir?: string }) => {
      const rt = getRuntime();
      const p = await prepareDatabase(rt, { start: false, setup: false });
      try {
        const { port } = await createReplica(p.db, { dir: dirOf(o), pgOsUser: rt.settings.pgOsUser, durable: rt.settings.pgDurable, ...(rt.settings.pgBinDir ? { pgBinDir: rt.settings.pgBinDir } : {}) });
        const url = new URL(p.db.url('clarity_reader'));
        url.port = String(port);
        process.stdout.write(`replica streaming on 127.0.0.1:${port} (data: ${dirOf(o)}/data)\nread-only URL for Clarity: ${url.toString()}\n`);
      } finally {
        await closePlatform(p);
      }
    });

  for (const verb of ['start', 'stop'] as const) {
    replica
      .command(verb)
      .description(`${verb} the replica made by setup`)
      .option('--dir <dir>', 'folder of the replica (default $NEXUS_HOME/replica)')
      .action(async (o: { dir?: string }) => {
        const rt = getRuntime();
        const p = await prepareDatabase(rt, { start: false, setup: false });
        try {
          const cluster = replicaCluster(p.db, { dir: dirOf(o), pgOsUser: rt.settings.pgOsUser, durable: rt.settings.pgDurable, ...(rt.settings.pgBinDir ? { pgBinDir: rt.settings.pgBinDir } : {}) });
          if (verb === 'start') process.stdout.write(`replica running on 127.0.0.1:${await cluster.start()}\n`);
          else process.stdout.write((await cluster.stop()) ? 'stopped\n' : 'not running\n');
        } finally {
          await closePlatform(p);
        }
      });
  }
}
