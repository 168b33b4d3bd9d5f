// `nexus peer add|list|revoke|release`: servers and dev machines as VPN
// peers of the gate, and releasing the reserved address of any revoked peer
// (field devices included). Run on the gate; `nexus gate apply` puts the
// change into the live WireGuard interface.

import type { Command } from 'commander';
import { getRuntime, print } from '../runtime.ts';
import { listPeers, releaseAddress, revokePeer, type PeerRecord, type PeerRole } from '../../guardian/index.ts';
import { addGatePeer, qrTerminal, writeQrPng } from '../../gate/index.ts';

function row(p: PeerRecord): string {
  return [p.name.padEnd(20), p.role.padEnd(7), p.wg_ip.padEnd(14), (p.released_at ? 'released' : p.status).padEnd(9), p.wg_public_key].join(' ');
}

export function registerPeer(program: Command): void {
  const peer = program.command('peer').description('servers and dev machines on the VPN (on the gate); release addresses of revoked peers');

  peer
    .command('add <name>')
    .description('register a server or dev machine: address from its role\u2019s pool, WireGuard key pair and client config')
    .requiredOption('--role <role>', 'server (10.10.0.10–19) or dev (10.10.0.20–29)')
    .option('--public-key <key>', "the peer's WireGuard public key (otherwise a key pair is made and its private key shown once)")
    .option('--qr <file.png>', 'also write the client config as a QR code PNG (holds the private key: 0600)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { role: string; publicKey?: string; qr?: string; json?: boolean }) => {
      const { settings } = getRuntime();
      const added = await addGatePeer(settings, { name, role: opts.role as PeerRole, ...(opts.publicKey !== undefined ? { publicKey: opts.publicKey } : {}) });
      const p = added.peer;
      if (opts.qr) await writeQrPng(opts.qr, added.config);
      if (opts.json) return print(true, { peer_id: p.peer_id, name: p.name, role: p.role, wg_ip: p.wg_ip, public_key: p.wg_public_key, wireguard_config: added.config }, String);
      process.stdout.write(
        [
          `${p.role} ${p.name} registered: ${p.peer_id}, VPN address ${p.wg_ip}, public key ${p.wg_public_key}`,
          '',
          added.privateKey ? 'WireGuard config (its private key is shown only now and never stored):' : 'WireGuard config:',
          added.config,
          ...(added.privateKey ? [await qrTerminal(added.config)] : []),
          ...(opts.qr ? [`QR code written to ${opts.qr}`] : []),
          'Run `nexus gate apply` to add the peer to the running gate.',
          '',
        ].join('\n'),
      );
    });

  peer
    .command('list')
    .description('list servers and dev machines')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const peers = listPeers(getRuntime().settings.home);
      print(opts.json, peers, () =>
        peers.length === 0
          ? 'no peers; `nexus peer add <name> --role server|dev` registers one'
          : [['name'.padEnd(20), 'role'.padEnd(7), 'wg_ip'.padEnd(14), 'status'.padEnd(9), 'public_key'].join(' '), ...peers.map(row)].join('\n'),
      );
    });

  peer
    .command('revoke <name>')
    .description('revoke a server or dev machine (its address stays reserved until released)')
    .action(async (name: string) => {
      const { peer: p, alreadyRevoked } = await revokePeer(getRuntime().settings.home, name);
      process.stdout.write(`${alreadyRevoked ? 'already revoked' : 'revoked'}: ${p.name} (${p.role}, ${p.wg_ip}) at ${p.revoked_at}; run \`nexus gate apply\`\n`);
    });

  peer
    .command('release <name>')
    .description('free the address of a revoked device or peer so the pool may give it out again')
    .action(async (name: string) => {
      const r = await releaseAddress(getRuntime().settings.home, name);
      process.stdout.write(`${r.alreadyReleased ? 'already released' : 'released'}: ${r.wg_ip} (${r.kind} ${r.name}) at ${r.released_at}\n`);
    });
}
