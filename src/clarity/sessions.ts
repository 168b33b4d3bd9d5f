// Login sessions: a random 256-bit id in a Secure HttpOnly SameSite=Strict
// cookie, and a per-session CSRF token every state-changing request must
// echo (header X-CSRF-Token, or a csrf form field for downloads). Kept in
// memory: a restart signs everyone out, which is acceptable for a BI tool.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './users.ts';

export interface Session {
  id: string;
  user: string;
  role: Role;
  csrf: string;
  expires: number;
}

export const COOKIE = 'clarity_session';
const TTL_MS = 12 * 60 * 60 * 1000;

export class Sessions {
  private readonly byId = new Map<string, Session>();

  create(user: string, role: Role): Session {
    // Expired sessions go when new ones are made, so the map cannot grow without bound.
    const now = Date.now();
    for (const [id, old] of this.byId) if (old.expires < now) this.byId.delete(id);
    const s: Session = { id: randomBytes(32).toString('base64url'), user, role, csrf: randomBytes(24).toString('base64url'), expires: Date.now() + TTL_MS };
    this.byId.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (s.expires < Date.now()) {
      this.byId.delete(id);
      return undefined;
    }
    return s;
  }

  end(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  /** Drops the sessions of a user whose role or password changed. */
  endUser(user: string): void {
    for (const [id, s] of this.byId) if (s.user === user) this.byId.delete(id);
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
