// Secrets Guardian hands out and the forms in which it keeps them.
// - Device secrets: 32 random bytes, kept only as an scrypt hash (memory-hard,
//   built into node), so a copied registry does not yield working secrets.
// - Enrolment codes: 100 random bits that a person may have to type, kept as
//   SHA-256; a fast hash suffices for a short-lived, single-use random code,
//   and lets Guardian find the device by it.
// Every comparison is constant-time.

import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface SecretHash {
  alg: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64url */
  salt: string;
  /** base64url */
  hash: string;
}

/** Cost of new hashes: N=2^15, r=8 needs 32 MiB and ~50–100 ms per hash. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LEN = 32;

function scryptAsync(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export function newDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashSecret(secret: string, params: { N: number; r: number; p: number } = SCRYPT_PARAMS): Promise<SecretHash> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, params);
  return { alg: 'scrypt', ...params, salt: salt.toString('base64url'), hash: hash.toString('base64url') };
}

/** Stands in for an unknown device, so timing does not reveal which device ids exist. */
let dummy: Promise<SecretHash> | undefined;

export async function verifySecret(secret: string, stored: SecretHash | null): Promise<boolean> {
  const target = stored ?? (await (dummy ??= hashSecret(newDeviceSecret())));
  const expected = Buffer.from(target.hash, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(target.salt, 'base64url'), target);
  return actual.length === expected.length && timingSafeEqual(actual, expected) && stored !== null;
}

// Crockford base32: no I, L, O, U, so a code read aloud or typed survives.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = 20;

/** A new one-time enrolment code, e.g. `7K3M-Q9XR-…` (100 random bits). */
export function newEnrollmentCode(): string {
  const bytes = randomBytes(CODE_CHARS);
  const chars = [...bytes].map((b) => ALPHABET[b & 31]!).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/** What a person might type for the same code: any case, dashes and spaces, O for 0, I/L for 1. */
export function normalizeEnrollmentCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

export function enrollmentCodeHash(code: string): string {
  return createHash('sha256').update(normalizeEnrollmentCode(code)).digest('hex');
}

export function sameHash(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
