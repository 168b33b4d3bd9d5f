// The gate's own WireGuard key pair. It lives beside Guardian's registry
// ($NEXUS_HOME/guardian/wg-gate.key, 0600) so the one locked snapshot that
// config sync copies to the standby carries it: both gates of a pair must
// answer with the same key, or every device would need two configs.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NexusError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/files.ts';
import { guardianDir, withGuardianLock } from '../guardian/index.ts';
import { generateKeyPair, isWgKey, publicKeyOf, type WgKeyPair } from './keys.ts';

export function gateKeyPath(home: string): string {
  return path.join(guardianDir(home), 'wg-gate.key');
}

export function readGateKey(home: string): WgKeyPair | undefined {
  const file = gateKeyPath(home);
  if (!existsSync(file)) return undefined;
  const privateKey = readFileSync(file, 'utf8').trim();
  if (!isWgKey(privateKey)) throw new NexusError('invalid_gate_key', `${file} does not hold a WireGuard private key; remove it to make a new one (every client config then needs the new gate key).`);
  return { privateKey, publicKey: publicKeyOf(privateKey) };
}

/** The gate key, made on first use. */
export async function ensureGateKey(home: string): Promise<WgKeyPair> {
  return withGuardianLock(home, () => {
    const existing = readGateKey(home);
    if (existing) return existing;
    const pair = generateKeyPair();
    writeFileAtomic(gateKeyPath(home), pair.privateKey + '\n', 0o600);
    return pair;
  });
}
