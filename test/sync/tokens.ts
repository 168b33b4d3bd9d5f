// Hand-made tokens for the token tests: signed with Guardian's real key (or
// deliberately not), with one claim or header wrong at a time.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import { readKeys } from '../../src/guardian/index.ts';
import type { Device, Stack } from './stack.ts';

export function claims(s: Stack, d: Device, over: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iss: s.settings.tokenIssuer, aud: 'nexus-sync', sub: d.deviceId, iat: now, exp: now + 600, jti: randomUUID(), groups: ['default'], wg_ip: d.wgIp, ...over };
}

export async function signWithGuardianKey(s: Stack, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const store = readKeys(s.home);
  const key = store.keys.find((k) => k.kid === store.current)!;
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...header }).sign(await importJWK(key.private_jwk, 'EdDSA'));
}

export async function signWithStrangerKey(payload: JWTPayload, kid: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid }).sign(privateKey);
}

export function unsigned(payload: JWTPayload, kid: string): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', kid })}.${b64(payload)}.`;
}
