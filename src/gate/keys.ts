// WireGuard keys: Curve25519 (X25519) pairs, written as base64 of the raw
// 32 bytes. Node's crypto makes them; the DER wrappers it speaks have a fixed
// prefix, so the raw key is the last 32 bytes and a raw key becomes DER by
// putting the prefix back.

import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { usageError } from '../core/errors.ts';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export interface WgKeyPair {
  privateKey: string;
  publicKey: string;
}

export function generateKeyPair(): WgKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const priv = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey: priv.toString('base64'), publicKey: pub.toString('base64') };
}

/** The public key of a private key (what `wg pubkey` prints). */
export function publicKeyOf(privateKey: string): string {
  const der = Buffer.concat([PKCS8_PREFIX, Buffer.from(checkKey(privateKey, 'private'), 'base64')]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  return pub.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}

export function isWgKey(value: string): boolean {
  return KEY.test(value) && Buffer.from(value, 'base64').length === 32;
}

/** A key as WireGuard writes it, or a usage error naming what is wrong. */
export function checkKey(value: string, what = 'public'): string {
  const v = value.trim();
  if (!isWgKey(v)) {
    throw usageError('invalid_wireguard_key', `The WireGuard ${what} key "${v.slice(0, 60)}" is not valid: it is the base64 of 32 bytes (44 characters ending in '='), as \`wg genkey | wg pubkey\` prints it.`);
  }
  return v;
}
