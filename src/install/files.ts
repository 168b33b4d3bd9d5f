// Files steps: a directory, a file or a whole tree with its owner and mode,
// inside the root. Owners are names resolved in the root's account files;
// where an account does not exist yet (a scratch root without one) the
// owner is left as it is and the step says so, rather than guessing an id.

import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/files.ts';
import { NexusError } from '../core/errors.ts';
import type { Host } from './host.ts';
import type { Step } from './steps.ts';

export interface Ownership {
  user: string;
  group: string;
  mode: number;
}

const octal = (m: number) => `0${(m & 0o7777).toString(8)}`;

/**
 * The ids of the owner; undefined while an account does not exist. `strict`
 * (when changing the live system, where the accounts step ran before): a
 * missing account is an error, never a file left owned by root.
 */
function ids(host: Host, o: Pick<Ownership, 'user' | 'group'>, strict = false): { uid: number; gid: number } | undefined {
  const uid = host.uid(o.user);
  const gid = host.gid(o.group);
  if (uid !== undefined && gid !== undefined) return { uid, gid };
  if (strict && host.live) throw new NexusError('install_account_missing', `The account ${uid === undefined ? `user ${o.user}` : `group ${o.group}`} does not exist`);
  return undefined;
}

/** What differs between the path's owner and mode and the wanted ones. */
function differences(host: Host, file: string, o: Ownership): string[] {
  const st = statSync(file);
  const out: string[] = [];
  if ((st.mode & 0o7777) !== o.mode) out.push(`mode ${octal(st.mode)} → ${octal(o.mode)}`);
  const want = ids(host, o);
  if (want && (st.uid !== want.uid || st.gid !== want.gid)) out.push(`owner ${st.uid}:${st.gid} → ${o.user}:${o.group}`);
  return out;
}

function setOwnership(host: Host, file: string, o: Ownership): void {
  chmodSync(file, o.mode); // after creation: the umask may have masked it
  const want = ids(host, o, true);
  if (want) chownSync(file, want.uid, want.gid);
}

function label(host: Host, p: string, o: Ownership): string {
  const known = host.uid(o.user) !== undefined && host.gid(o.group) !== undefined;
  return `${p} ${o.user}:${o.group} ${octal(o.mode)}${known ? '' : ' (owner not set: no such account in this root yet)'}`;
}

export function directory(host: Host, p: string, o: Ownership): Step {
  const full = host.at(p);
  return {
    kind: 'files',
    title: `directory ${label(host, p, o)}`,
    async pending() {
      if (!existsSync(full)) return 'create';
      return differences(host, full, o).join(', ') || undefined;
    },
    async apply() {
      mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 }); // parents as a distribution makes them
      if (!existsSync(full)) mkdirSync(full, { mode: o.mode });
      setOwnership(host, full, o);
    },
  };
}

/**
 * A file with this content. `keep`: once it exists its content is the
 * administrator's (generated secrets, edited settings): only owner and mode
 * are kept right.
 */
export function file(host: Host, p: string, content: () => string, o: Ownership & { keep?: boolean }): Step {
  const full = host.at(p);
  return {
    kind: 'files',
    title: `file ${label(host, p, o)}`,
    async pending() {
      if (!existsSync(full)) return 'create';
      const out = differences(host, full, o);
      if (!o.keep && readFileSync(full, 'utf8') !== content()) out.unshift('content');
      return out.join(', ') || undefined;
    },
    async apply() {
      if (!existsSync(full) || (!o.keep && readFileSync(full, 'utf8') !== content())) writeFileAtomic(full, content(), o.mode);
      setOwnership(host, full, o);
    },
  };
}

function walk(dir: string, each: (p: string) => void): void {
  each(dir);
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (lstatSync(p).isDirectory()) walk(p, each);
    else if (!lstatSync(p).isSymbolicLink()) each(p);
  }
}

/** Everything under `p` owned by user:group (modes stay as their writer chose them). */
export function ownedTree(host: Host, p: string, user: string, group: string): Step {
  const full = host.at(p);
  return {
    kind: 'files',
    title: `owner of ${p}/** ${user}:${group}`,
    async pending() {
      if (!existsSync(full)) return 'set after it is created';
      const want = ids(host, { user, group });
      if (!want) return undefined;
      let wrong = 0;
      walk(full, (f) => {
        const st = lstatSync(f);
        if (st.uid !== want.uid || st.gid !== want.gid) wrong++;
      });
      return wrong ? `${wrong} path(s) to chown` : undefined;
    },
    async apply() {
      const want = ids(host, { user, group }, true);
      if (want && existsSync(full)) walk(full, (f) => chownSync(f, want.uid, want.gid));
    },
  };
}
