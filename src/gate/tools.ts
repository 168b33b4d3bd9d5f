// Running the real network tools, and scratch network namespaces to run them
// in without touching the host's interfaces or firewall.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { NexusError } from '../core/errors.ts';

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(err.message) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // a tool that exits without reading its input
    child.stdin.end(opts.input ?? '');
  });
}

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).status === 0;
}

export function requireTool(name: string, pkg: string): void {
  if (!hasTool(name)) throw new NexusError('tool_missing', `${name} is not installed; install it with: apt-get install ${pkg}`);
}

/** A network namespace that exists for the life of `fn` (needs root). */
export async function withScratchNetns<T>(fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = `nexus-chk-${randomBytes(4).toString('hex')}`;
  const made = await run('ip', ['netns', 'add', ns]);
  if (made.code !== 0) throw new NexusError('netns_unavailable', `Cannot create a scratch network namespace (${made.stderr.trim()}); \`nexus gate check\` needs root.`);
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return await fn(ns);
  } finally {
    await run('ip', ['netns', 'del', ns]);
  }
}

export function inNetns(ns: string, cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<ToolResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}
