// `nexus install [--root DIR] [--dry-run]`: sets up a fresh Ubuntu 24.04
// server as docs/operations.md §1 describes (src/install). Runs as root;
// safe to run again: a second run changes nothing and says so.

import type { Command } from 'commander';
import { isIP } from 'node:net';
import { usageError } from '../../core/errors.ts';
import { Host } from '../../install/host.ts';
import { serverPlan } from '../../install/plan.ts';
import { DEFAULT_LAYOUT } from '../../install/render.ts';
import { runSteps } from '../../install/steps.ts';

interface Opts {
  root: string;
  dryRun?: boolean;
  address: string;
  dnsName: string;
  gate: string;
  admin?: string;
}

export function registerInstall(program: Command): void {
  program
    .command('install')
    .description('set up this server: accounts, folders, settings with generated secrets, PostgreSQL, TLS, systemd units (idempotent)')
    .option('--root <dir>', 'install into this root instead of / (steps that need the running system are listed, not run)', '/')
    .option('--dry-run', 'print every step and what it would change; change nothing')
    .option('--address <ip>', "the server's address in the tunnel", DEFAULT_LAYOUT.address)
    .option('--dns-name <name>', "the server's DNS name (on its certificate)", DEFAULT_LAYOUT.dnsName)
    .option('--gate <ip>', "the gate's address in the tunnel (Guardian)", DEFAULT_LAYOUT.gateAddress)
    .option('--admin <user>', 'an administrator to add to nexus-admin (sshd lets only that group in)')
    .action(async (o: Opts) => {
      for (const [flag, v] of [['--address', o.address], ['--gate', o.gate]] as const) {
        if (isIP(v) !== 4) throw usageError('invalid_option', `${flag} "${v}" is not valid; it accepts an IPv4 address, e.g. 10.10.0.10`);
      }
      if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(o.dnsName)) throw usageError('invalid_option', `--dns-name "${o.dnsName}" is not valid; it accepts a DNS name, e.g. nexus-server.home.arpa`);
      if (o.admin && !/^[a-z_][a-z0-9_-]*$/i.test(o.admin)) throw usageError('invalid_option', `--admin "${o.admin}" is not a user name`);
      if (process.getuid?.() !== 0 && !o.dryRun) throw usageError('install_needs_root', 'nexus install sets owners and modes: run it as root (sudo), or with --dry-run');
      const host = new Host(o.root);
      const layout = { ...DEFAULT_LAYOUT, address: o.address, dnsName: o.dnsName, gateAddress: o.gate };
      process.stdout.write(`nexus install into ${host.root}${o.dryRun ? ' (dry run)' : ''}\n`);
      await runSteps(serverPlan(host, { layout, ...(o.admin ? { admin: o.admin } : {}) }), {
        dryRun: !!o.dryRun,
        live: host.live,
        print: (l) => process.stdout.write(`${l}\n`),
      });
    });
}
