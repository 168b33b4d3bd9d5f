// Servers and dev machines as VPN peers of the gate (`nexus peer …`). They
// live in the same registry as field devices so one file holds every address
// and one lock guards every allocation; they never enrol or get tokens.

import { randomUUID } from 'node:crypto';
import { NexusError, usageError } from '../core/errors.ts';
import { checkName, findDevice, nameTaken } from './devices.ts';
import { ADDRESS_POOLS, allocateAddress, takenAddresses } from './pool.ts';
import { readRegistry, updateRegistry, type PeerRecord, type PeerRole } from './store.ts';

export const PEER_ROLES: readonly PeerRole[] = ['server', 'dev'];

export interface AddPeerOptions {
  name: string;
  role: PeerRole;
  /** Checked by the caller (src/gate/keys.ts): base64 of 32 bytes. */
  wgPublicKey: string;
  now?: Date;
}

export async function addPeer(home: string, opts: AddPeerOptions): Promise<PeerRecord> {
  const name = checkName('peer', opts.name);
  if (!PEER_ROLES.includes(opts.role)) {
    throw usageError('invalid_peer_role', `Peer role "${opts.role}" is not valid; use ${PEER_ROLES.join(' or ')} (field devices: \`nexus device add\`).`);
  }
  const now = opts.now ?? new Date();
  return updateRegistry(home, (registry) => {
    if (nameTaken(registry, name)) {
      throw usageError('peer_exists', `A device or peer named "${name}" already exists (names are unique, also after revocation).`);
    }
    const peer: PeerRecord = {
      peer_id: randomUUID(),
      name,
      role: opts.role,
      wg_ip: allocateAddress(takenAddresses(registry), ADDRESS_POOLS[opts.role], opts.role),
      wg_public_key: opts.wgPublicKey,
      status: 'active',
      created_at: now.toISOString(),
      revoked_at: null,
      released_at: null,
    };
    (registry.peers ??= []).push(peer);
    return peer;
  });
}

export function listPeers(home: string): PeerRecord[] {
  return readRegistry(home).peers ?? [];
}

function findPeer(peers: PeerRecord[], nameOrId: string): PeerRecord | undefined {
  const key = nameOrId.toLowerCase();
  return peers.find((p) => p.peer_id === nameOrId || p.name.toLowerCase() === key);
}

const notFound = (nameOrId: string): NexusError =>
  new NexusError('peer_not_found', `No peer or device named "${nameOrId}"; \`nexus peer list\` and \`nexus device list\` show them.`, { status: 404 });

/** Revokes a server or dev machine: it leaves wg0.conf at the next render/apply; its address stays reserved. */
export async function revokePeer(home: string, nameOrId: string, now = new Date()): Promise<{ peer: PeerRecord; alreadyRevoked: boolean }> {
  return updateRegistry(home, (registry) => {
    const p = findPeer(registry.peers ?? [], nameOrId);
    if (!p) throw notFound(nameOrId);
    const alreadyRevoked = p.status === 'revoked';
    if (!alreadyRevoked) {
      p.status = 'revoked';
      p.revoked_at = now.toISOString();
    }
    return { peer: { ...p }, alreadyRevoked };
  });
}

export interface ReleasedAddress {
  name: string;
  kind: 'device' | 'peer';
  wg_ip: string;
  released_at: string;
}

/**
 * Frees the address of a revoked device or peer so the pool can hand it out
 * again. Explicit on purpose: until then stale firewall rules, DNS entries
 * and logs can never point at a newcomer. The record itself stays (names
 * remain unique, the revocation list keeps the device).
 */
export async function releaseAddress(home: string, nameOrId: string, now = new Date()): Promise<ReleasedAddress & { alreadyReleased: boolean }> {
  return updateRegistry(home, (registry) => {
    const record = findPeer(registry.peers ?? [], nameOrId) ?? findDevice(registry, nameOrId);
    if (!record) throw notFound(nameOrId);
    const kind = 'peer_id' in record ? 'peer' : 'device';
    if (record.status !== 'revoked') {
      throw usageError('peer_not_revoked', `"${record.name}" is ${record.status}; revoke it first (\`nexus ${kind} revoke ${record.name}\`), then release its address.`);
    }
    const alreadyReleased = !!record.released_at;
    if (!alreadyReleased) record.released_at = now.toISOString();
    return { name: record.name, kind, wg_ip: record.wg_ip, released_at: record.released_at!, alreadyReleased };
  });
}
