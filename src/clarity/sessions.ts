// Login sessions: a random 256-bit id in a Secure HttpOnly SameSite=Strict
// cookie, and a per-session CSRF token every state-changing request must
// echo (header X-CSRF-Token, or a csrf form field for downloads). Kept in
// Clarity's state (sessions.json), so a restart or an upgrade signs nobody
// out; only the id's SHA-256 is stored, so the file (and its backups) holds
// nothing a browser could present. A session also remembers which password
// it was opened with: a new password signs the user out everywhere.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JsonStore } from './store.ts';
import type { Role } from './users.ts';

export interface Session {
  id: string;
  user: string;
  role: Role;
  csrf: string;
  expires: number;
  /** Fingerprint of the password hash the session was opened with. */
  credential: string;
}

type Stored = Omit<Session, 'id'> & { key: string };

export const COOKIE = 'clarity_session';
const TTL_MS = 12 * 60 * 60 * 1000;

const keyOf = (id: string) => createHash('sha256').update(id).digest('hex');

/** What a session keeps of a user's password hash: enough to notice a change, nothing more. */
export const credentialOf = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('hex').slice(0, 16);

export class Sessions {
  private readonly store: JsonStore;

  constructor(store: JsonStore) {
    this.store = store;
  }

  create(user: string, role: Role, credential: string): Session {
    const s: Session = { id: randomBytes(32).toString('base64url'), user, role, credential, csrf: randomBytes(24).toString('base64url'), expires: Date.now() + TTL_MS };
    const { id, ...rest } = s;
    // Expired sessions go when new ones are made, so the file cannot grow without bound.
    const now = Date.now();
    this.store.update<Stored>('sessions', (all) => [...all.filter((x) => x.expires >= now), { key: keyOf(id), ...rest }]);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const key = keyOf(id);
    const found = this.store.read<Stored>('sessions').find((x) => x.key === key);
    if (!found || found.expires < Date.now()) return undefined;
    const { key: _k, ...rest } = found;
    return { id, ...rest };
  }

  end(id: string | undefined): void {
    if (!id) return;
    const key = keyOf(id);
    this.store.update<Stored>('sessions', (all) => all.filter((x) => x.key !== key));
  }
}

export function csrfMatches(session: Session, token: unknown): boolean {
  if (typeof token !== 'string' || token.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(token), Buffer.from(session.csrf));
}

export function cookieHeader(value: string, maxAgeSeconds: number): string {
  return `${COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

export function readCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}
