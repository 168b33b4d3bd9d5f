// Adding a peer with its WireGuard credentials: the public key given by the
// administrator (the peer made its own pair) or a fresh pair whose private
// key goes into the returned client config only. Nothing here stores it.

import type { Settings } from '../core/settings.ts';
import { addDevice, addPeer, type PeerRecord, type PeerRole } from '../guardian/index.ts';
import type { AddedDevice } from '../guardian/index.ts';
import { gateConfig } from './config.ts';
import { ensureGateKey } from './gate-key.ts';
import { checkKey, generateKeyPair } from './keys.ts';
import { renderClientWireguard } from './wireguard.ts';

export interface Credentials {
  publicKey: string;
  /** Present only when the pair was made here: show it once. */
  privateKey: string | undefined;
}

export function credentials(publicKey: string | undefined): Credentials {
  if (publicKey !== undefined) return { publicKey: checkKey(publicKey), privateKey: undefined };
  const pair = generateKeyPair();
  return { publicKey: pair.publicKey, privateKey: pair.privateKey };
}

export interface AddedPeer {
  peer: PeerRecord;
  privateKey: string | undefined;
  /** The client config; with the private key only when it was made here. */
  config: string;
}

export async function addGatePeer(settings: Settings, opts: { name: string; role: PeerRole; publicKey?: string }): Promise<AddedPeer> {
  const creds = credentials(opts.publicKey); // checked before anything is written
  const gateKey = await ensureGateKey(settings.home);
  const peer = await addPeer(settings.home, { name: opts.name, role: opts.role, wgPublicKey: creds.publicKey });
  return { peer, privateKey: creds.privateKey, config: renderClientWireguard(gateConfig(settings), peer, gateKey.publicKey, creds.privateKey) };
}

export interface AddedGateDevice extends AddedDevice {
  publicKey: string;
  privateKey: string | undefined;
  config: string;
}

export async function addGateDevice(settings: Settings, opts: { name: string; groups: string[]; publicKey?: string }): Promise<AddedGateDevice> {
  const creds = credentials(opts.publicKey);
  const cfg = gateConfig(settings); // checks the address plan before anything is written
  const gateKey = await ensureGateKey(settings.home);
  const added = await addDevice(settings.home, {
    name: opts.name,
    groups: opts.groups,
    enrollmentTtlHours: settings.enrollmentTtlHours,
    wgPublicKey: creds.publicKey,
    pool: cfg.fieldPool,
  });
  const config = renderClientWireguard(cfg, { ...added.device, role: 'field' }, gateKey.publicKey, creds.privateKey);
  return { ...added, publicKey: creds.publicKey, privateKey: creds.privateKey, config };
}
