// Access tokens (SYNC_PROTOCOL.md §1): EdDSA-signed JWTs with a `kid`, so
// verifiers need only the public JWKS and can follow key rotation.

import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, type TokenResponse } from '../protocol/index.ts';
import type { SigningKey } from './keys.ts';
import type { DeviceRecord } from './store.ts';

export interface TokenOptions {
  issuer: string;
  ttlSeconds: number;
  now?: Date;
}

// Importing a JWK costs more than signing; keys change only on rotation.
const imported = new Map<string, Promise<CryptoKey | Uint8Array>>();

function privateKey(key: SigningKey): Promise<CryptoKey | Uint8Array> {
  let k = imported.get(key.kid);
  if (!k) {
    k = importJWK(key.private_jwk, TOKEN_ALGORITHM);
    imported.set(key.kid, k);
  }
  return k;
}

export async function issueToken(device: DeviceRecord, key: SigningKey, opts: TokenOptions): Promise<TokenResponse> {
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const access_token = await new SignJWT({ groups: device.groups, wg_ip: device.wg_ip })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(opts.issuer)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(device.device_id)
    .setIssuedAt(iat)
    .setExpirationTime(iat + opts.ttlSeconds)
    .setJti(randomUUID())
    .sign(await privateKey(key));
  return { access_token, token_type: 'Bearer', expires_in: opts.ttlSeconds };
}
