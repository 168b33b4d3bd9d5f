// Local accounts: name, role, scrypt password hash (node:crypto; N=2^15,
// r=8, p=1, 16-byte salt, 32-byte key), compared in constant time.

import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { NexusError, usageError } from '../core/errors.ts';
import type { JsonStore } from './store.ts';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  name: string;
  role: Role;
  hash: string; // scrypt$N$r$p$salt$key (base64)
  created_at: string;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: PARAMS.maxmem });
  return timingSafeEqual(got, expected);
}

function checkName(name: string): void {
  if (!/^[a-z0-9][a-z0-9._@-]{0,63}$/i.test(name)) throw usageError('clarity_user_invalid', `"${name}" is not a valid user name: letters, digits, . _ @ -, at most 64`);
}

function checkPassword(pw: string): void {
  if (pw.length < 10) throw usageError('clarity_password_weak', 'A password needs at least 10 characters.');
}

export function parseRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw usageError('clarity_role_invalid', `role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

export async function addUser(store: JsonStore, name: string, role: Role, password: string): Promise<void> {
  checkName(name);
  checkPassword(password);
  const hash = await hashPassword(password);
  store.update<User>('users', (users) => {
    if (users.some((u) => u.name === name)) throw usageError('clarity_user_exists', `user ${name} exists already (use passwd or role)`);
    return [...users, { name, role, hash, created_at: new Date().toISOString() }];
  });
}

/** Changes one user's record; unknown names are an error. */
function change(store: JsonStore, name: string, fn: (u: User) => User | undefined): void {
  store.update<User>('users', (users) => {
    if (!users.some((u) => u.name === name)) notFound(name);
    return users.flatMap((u) => (u.name === name ? (fn(u) ?? []) : [u]));
  });
}

export async function setPassword(store: JsonStore, name: string, password: string): Promise<void> {
  checkPassword(password);
  const hash = await hashPassword(password);
  change(store, name, (u) => ({ ...u, hash }));
}

export function setRole(store: JsonStore, name: string, role: Role): void {
  change(store, name, (u) => ({ ...u, role }));
}

export function removeUser(store: JsonStore, name: string): void {
  change(store, name, () => undefined);
}

function notFound(name: string): never {
  throw new NexusError('clarity_user_unknown', `there is no user ${name}`, { status: 404, exitCode: 2 });
}

export function listUsers(store: JsonStore): Array<Omit<User, 'hash'>> {
  return store.read<User>('users').map(({ hash: _h, ...rest }) => rest);
}

/** The user, or undefined when the name or password is wrong (same time either way). */
export async function authenticate(store: JsonStore, name: string, password: string): Promise<User | undefined> {
  const user = store.read<User>('users').find((u) => u.name === name);
  // Hash even for unknown names, so timing does not tell which names exist.
  const ok = await verifyPassword(password, user?.hash ?? 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  return ok && user ? user : undefined;
}

export const can = {
  edit: (r: Role) => r === 'editor' || r === 'admin',
  admin: (r: Role) => r === 'admin',
};
