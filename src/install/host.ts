// The target machine as seen from the install: paths inside the root,
// accounts read from the root's own /etc/passwd and /etc/group (so a scratch
// root with its own account files is judged like a real system), and the
// tools the steps run.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NexusError } from '../core/errors.ts';

export class Host {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get live(): boolean {
    return this.root === '/';
  }

  /** An absolute path of the target system, inside the root. */
  at(p: string): string {
    return path.join(this.root, p);
  }

  private ids(file: string, name: string, field: 2 | 3): number | undefined {
    const f = this.at(file);
    if (!existsSync(f)) return undefined;
    for (const l of readFileSync(f, 'utf8').split('\n')) {
      const parts = l.split(':');
      if (parts[0] === name && parts[field] !== undefined && /^\d+$/.test(parts[field])) return Number(parts[field]);
    }
    return undefined;
  }

  uid(user: string): number | undefined {
    return /^\d+$/.test(user) ? Number(user) : this.ids('/etc/passwd', user, 2);
  }

  gid(group: string): number | undefined {
    return /^\d+$/.test(group) ? Number(group) : this.ids('/etc/group', group, 2);
  }

  /** Members of a group (the fourth field of /etc/group; primary members are not listed). */
  members(group: string): string[] {
    const f = this.at('/etc/group');
    if (!existsSync(f)) return [];
    const l = readFileSync(f, 'utf8').split('\n').find((x) => x.split(':')[0] === group);
    return l ? (l.split(':')[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) : [];
  }
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; a missing tool is an error that names the package to install. */
export function run(exe: string, args: string[], opts: { input?: string; pkg?: string } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(exe, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      if (e && e.code === 'ENOENT') {
        reject(new NexusError('tool_missing', `${exe} is not installed${opts.pkg ? `: apt-get install ${opts.pkg}` : ''}`));
        return;
      }
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like run, but a non-zero exit is an error carrying the tool's output. */
export async function must(exe: string, args: string[], opts: { input?: string; pkg?: string } = {}): Promise<string> {
  const r = await run(exe, args, opts);
  if (r.code !== 0) throw new NexusError('install_step_failed', `${[exe, ...args].join(' ')} exited with ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 2000)}`);
  return r.stdout;
}
