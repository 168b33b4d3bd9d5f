// payload_sha256 = SHA-256 (lowercase hex) of the RFC 8785 (JCS) form of payload.
// Browser-safe: no static node: import. Under Node (20.16+ has
// process.getBuiltinModule) node:crypto does the hashing, at native speed;
// in a browser the pure-TS SHA-256 of sha256.ts does (synchronous, like callers expect).
import canonicalizeImport from 'canonicalize';
import { sha256HexPure } from './sha256.ts';

const canonicalize = canonicalizeImport as unknown as (value: unknown) => string | undefined;

interface NodeHash {
  update(data: string | Uint8Array): NodeHash;
  digest(encoding: 'hex'): string;
}
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as
  | { createHash(alg: 'sha256'): NodeHash }
  | undefined;

export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError('value cannot be represented as JSON');
  return out;
}

export function sha256Hex(data: string | Uint8Array): string {
  return nodeCrypto ? nodeCrypto.createHash('sha256').update(data).digest('hex') : sha256HexPure(data);
}

export function payloadSha256(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}
