// `nexus device add|list|revoke`: the administrator's side of device
// identity, run on the gate. The running Guardian notices the change (it
// re-reads its registry when the file changes); no restart needed.

import type { Command } from 'commander';
import { getRuntime, print } from '../runtime.ts';
import { listDevices, revokeDevice, type DeviceSummary } from '../../guardian/index.ts';
import { addGateDevice, qrTerminal, writeQrPng } from '../../gate/index.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function row(d: DeviceSummary): string {
  return [d.name.padEnd(20), d.wg_ip.padEnd(14), d.status.padEnd(8), d.groups.join(',').padEnd(12), d.device_id].join(' ');
}

export function registerDevice(program: Command): void {
  const device = program.command('device').description('register, list and revoke field devices (Guardian, on the gate)');

  device
    .command('add <name>')
    .description('register a device: VPN address, WireGuard config and a one-time enrolment code')
    .option('--group <group>', 'group the device belongs to (repeatable; default: default)', collect, [] as string[])
    .option('--public-key <key>', "the device's WireGuard public key (otherwise a key pair is made and its private key shown once)")
    .option('--qr <file.png>', 'also write the WireGuard config as a QR code PNG (holds the private key: 0600)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { group: string[]; publicKey?: string; qr?: string; json?: boolean }) => {
      const { settings } = getRuntime();
      const added = await addGateDevice(settings, { name, groups: opts.group, ...(opts.publicKey !== undefined ? { publicKey: opts.publicKey } : {}) });
      const { device: d, enrollmentCode } = added;
      const wireguard_config = added.config;
      if (opts.qr) await writeQrPng(opts.qr, wireguard_config);
      if (opts.json) return print(true, { device_id: d.device_id, name: d.name, wg_ip: d.wg_ip, enrollment_code: enrollmentCode, wireguard_config }, String);
      process.stdout.write(
        [
          `device ${d.name} registered: ${d.device_id}, VPN address ${d.wg_ip}, groups ${d.groups.join(', ')}`,
          `enrolment code (shown once, valid until ${d.enrollment_expires_at}): ${enrollmentCode}`,
          '',
          added.privateKey ? 'WireGuard config (its private key is shown only now; Guardian keeps the public key):' : 'WireGuard config:',
          wireguard_config,
          ...(added.privateKey ? [await qrTerminal(wireguard_config)] : []),
          ...(opts.qr ? [`QR code written to ${opts.qr}`, ''] : []),
        ].join('\n'),
      );
    });

  device
    .command('list')
    .description('list registered devices')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const devices = listDevices(getRuntime().settings.home);
      print(opts.json, devices, () =>
        devices.length === 0
          ? 'no devices; `nexus device add <name>` registers one'
          : [['name'.padEnd(20), 'wg_ip'.padEnd(14), 'status'.padEnd(8), 'groups'.padEnd(12), 'device_id'].join(' '), ...devices.map(row)].join('\n'),
      );
    });

  device
    .command('revoke <name>')
    .description('revoke a device (by name or device_id): no new tokens; the sync API refuses it within 60 s')
    .action(async (name: string) => {
      const { device: d, alreadyRevoked } = await revokeDevice(getRuntime().settings.home, name);
      process.stdout.write(`${alreadyRevoked ? 'already revoked' : 'revoked'}: ${d.name} (${d.device_id}, ${d.wg_ip}) at ${d.revoked_at}\n`);
    });
}
