// Runs the PostgreSQL client tools. The password goes to the child in
// PGPASSWORD (visible to root and the same user only), never on the command
// line; the child gets a minimal, predictable environment.

import { spawn } from 'node:child_process';
import { NexusError } from '../core/errors.ts';

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  password?: string;
  /** Error code when the tool exits non-zero; without it the exit code is returned. */
  failCode?: string;
  cwd?: string;
}

export function runTool(exe: string, args: string[], o: ToolOptions = {}): Promise<ToolRun> {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC', PGCONNECT_TIMEOUT: '10' };
  if (o.password !== undefined) env.PGPASSWORD = o.password;
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'], env, ...(o.cwd ? { cwd: o.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new NexusError(o.failCode ?? 'tool_failed', `${exe} could not run: ${err.message}`, { cause: err })));
    child.on('close', (code) => {
      const res = { code: code ?? 1, stdout, stderr };
      if (res.code !== 0 && o.failCode) {
        const name = exe.split('/').pop();
        reject(new NexusError(o.failCode, `${name} failed (exit ${res.code}): ${stderr.trim().split('\n').slice(-5).join(' | ') || 'no output'}`));
      } else {
        resolve(res);
      }
    });
  });
}
