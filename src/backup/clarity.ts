// Clarity's own state (users, questions, dashboards: $NEXUS_HOME/clarity/state)
// and its extra sources (clarity/sources), daily into <target>/clarity as a
// tar.gz with its sha256 beside it, kept 30 days (the newest always). The
// DuckDB file is left out: Clarity rebuilds it from the marts. Layout as
// src/clarity/paths.ts describes it.

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DbAccess } from '../db/connection.ts';
import { NexusError } from '../core/errors.ts';
import { runTool } from './exec.ts';
import { fsyncPath } from './fsync.ts';
import { sha256File } from './manifest.ts';
import { stamp } from './paths.ts';
import { recorded } from './record.ts';
import { planRetention } from './retention.ts';

export const CLARITY_RETENTION_DAYS = 30;
const PARTS = ['state', 'sources'];

export function clarityRoot(home: string): string {
  return path.join(home, 'clarity');
}

export function hasClarity(home: string): boolean {
  return PARTS.some((p) => existsSync(path.join(clarityRoot(home), p)));
}

export async function backupClarity(db: DbAccess, home: string, dir: string, now = new Date()) {
  return recorded(db, 'clarity', async () => {
    const parts = PARTS.filter((p) => existsSync(path.join(clarityRoot(home), p)));
    if (!parts.length) throw new NexusError('clarity_missing', `No Clarity state under ${clarityRoot(home)}.`);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const name = `clarity-${stamp(now)}.tar.gz`;
    const tmp = path.join(dir, `.${name}.partial`);
    try {
      await runTool('/bin/tar', ['-czf', tmp, '-C', clarityRoot(home), ...parts], { failCode: 'clarity_backup_failed' });
      fsyncPath(tmp);
      renameSync(tmp, path.join(dir, name));
      fsyncPath(dir);
    } finally {
      rmSync(tmp, { force: true });
    }
    const file = path.join(dir, name);
    const sha256 = await sha256File(file);
    writeFileSync(`${file}.sha256`, `${sha256}  ${name}\n`);
    const all = readdirSync(dir).filter((f) => /^clarity-\d{8}T\d{6}Z\.tar\.gz$/.test(f)).sort().reverse();
    const items = all.map((f) => ({ name: f, at: statSync(path.join(dir, f)).mtime }));
    const doomed = planRetention(items, new Date(now.getTime() - CLARITY_RETENTION_DAYS * 86_400_000), all[0]);
    for (const d of doomed) {
      rmSync(path.join(dir, d.name), { force: true });
      rmSync(path.join(dir, `${d.name}.sha256`), { force: true });
    }
    return { artefact: file, sha256, sizeBytes: statSync(file).size, detail: { parts, deleted: doomed.length } };
  });
}
