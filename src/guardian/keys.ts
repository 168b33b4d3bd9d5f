// Token signing keys: $NEXUS_HOME/guardian/keys.json (mode 0600). Both gate
// nodes hold the same file, so tokens stay valid across a failover. Rotation
// makes a new key current; the previous one is still published in the JWKS
// until the last token it signed has expired, then it is dropped.

import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { writeFileAtomic } from '../core/files.ts';
import { TOKEN_ALGORITHM } from '../protocol/index.ts';
import { CachedJsonFile, readJsonFile } from './json-file.ts';
import { guardianDir, withGuardianLock } from './store.ts';

export interface SigningKey {
  kid: string;
  created_at: string;
  /** When a newer key replaced it (null: the current key). */
  retired_at: string | null;
  /** After this, no token it signed is still valid: it leaves the JWKS. */
  publish_until: string | null;
  private_jwk: JWK;
  public_jwk: JWK;
}

export interface KeyStore {
  format: 1;
  current: string | null;
  keys: SigningKey[];
}

export function keysPath(home: string): string {
  return path.join(guardianDir(home), 'keys.json');
}

function isKeyStore(v: unknown): v is KeyStore {
  const k = v as KeyStore;
  return typeof k === 'object' && k !== null && k.format === 1 && Array.isArray(k.keys);
}

export function readKeys(home: string): KeyStore {
  return readJsonFile(keysPath(home), () => ({ format: 1, current: null, keys: [] }), isKeyStore);
}

function writeKeys(home: string, store: KeyStore): void {
  writeFileAtomic(keysPath(home), JSON.stringify(store, null, 2) + '\n', 0o600);
}

async function newKey(now: Date): Promise<SigningKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const public_jwk = publicKey.export({ format: 'jwk' }) as JWK;
  return {
    kid: await calculateJwkThumbprint(public_jwk), // RFC 7638: the kid names the key itself
    created_at: now.toISOString(),
    retired_at: null,
    publish_until: null,
    private_jwk: privateKey.export({ format: 'jwk' }) as JWK,
    public_jwk,
  };
}

/** Keys that may still verify an unexpired token. */
export function liveKeys(store: KeyStore, now = new Date()): SigningKey[] {
  return store.keys.filter((k) => k.publish_until === null || Date.parse(k.publish_until) > now.getTime());
}

/** The key that signs new tokens; creates the first one on first use. */
export async function ensureSigningKey(home: string, now = new Date()): Promise<SigningKey> {
  const existing = currentKey(readKeys(home));
  if (existing) return existing;
  return withGuardianLock(home, async () => {
    const store = readKeys(home);
    const again = currentKey(store);
    if (again) return again;
    const key = await newKey(now);
    store.keys.push(key);
    store.current = key.kid;
    writeKeys(home, store);
    return key;
  });
}

export function currentKey(store: KeyStore): SigningKey | undefined {
  return store.keys.find((k) => k.kid === store.current);
}

export interface RotationResult {
  kid: string;
  /** Keys kept for verification only, with the time they leave the JWKS. */
  retiring: Array<{ kid: string; publish_until: string }>;
  dropped: string[];
}

/**
 * Makes a new key current. `tokenTtlSeconds` is the longest lifetime of a
 * token the old key may have signed (the NEXUS_TOKEN_TTL_SECONDS setting).
 */
export async function rotateKey(home: string, tokenTtlSeconds: number, now = new Date()): Promise<RotationResult> {
  return withGuardianLock(home, async () => {
    const store = readKeys(home);
    for (const k of store.keys) {
      if (k.kid === store.current) {
        k.retired_at = now.toISOString();
        k.publish_until = new Date(now.getTime() + tokenTtlSeconds * 1000).toISOString();
      }
    }
    const live = liveKeys(store, now);
    const dropped = store.keys.filter((k) => !live.includes(k)).map((k) => k.kid);
    const key = await newKey(now);
    store.keys = [...live, key];
    store.current = key.kid;
    writeKeys(home, store);
    return {
      kid: key.kid,
      retiring: live.map((k) => ({ kid: k.kid, publish_until: k.publish_until! })),
      dropped,
    };
  });
}

/** The public JWKS: current key plus retired keys whose tokens may still be unexpired. */
export function jwks(store: KeyStore, now = new Date()): { keys: JWK[] } {
  return {
    keys: liveKeys(store, now).map((k) => ({ ...k.public_jwk, kid: k.kid, alg: TOKEN_ALGORITHM, use: 'sig' })),
  };
}

export function keysView(home: string): CachedJsonFile<KeyStore> {
  return new CachedJsonFile(keysPath(home), () => readKeys(home));
}
