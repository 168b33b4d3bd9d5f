// Is a dump usable? Its manifest must exist, size and sha256 must match
// (catches truncation and bit rot anywhere in the file), and pg_restore must
// be able to read its table of contents.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DbAccess } from '../db/connection.ts';
import { runTool } from './exec.ts';
import { findTool } from './tools.ts';
import { listDumps, readManifest, sha256File, type DumpEntry } from './manifest.ts';
import { serverMajor } from './dump.ts';

export interface VerifyResult {
  file: string;
  ok: boolean;
  problems: string[];
  tocEntries: number;
}

export async function verifyDumpFile(file: string, pgRestore: string): Promise<VerifyResult> {
  const problems: string[] = [];
  const res: VerifyResult = { file, ok: false, problems, tocEntries: 0 };
  if (!existsSync(file)) return { ...res, problems: [`${file} does not exist`] };
  const m = readManifest(file);
  if (!m) problems.push(`no readable manifest next to ${path.basename(file)}`);
  const size = statSync(file).size;
  if (m && size !== m.sizeBytes) problems.push(`size is ${size} bytes, the manifest says ${m.sizeBytes} (truncated or overwritten)`);
  if (m) {
    const sha = await sha256File(file);
    if (sha !== m.sha256) problems.push(`sha256 is ${sha.slice(0, 12)}…, the manifest says ${m.sha256.slice(0, 12)}… (corrupted)`);
  }
  const list = await runTool(pgRestore, ['--list', file]);
  if (list.code !== 0) problems.push(`pg_restore --list cannot read it: ${list.stderr.trim().split('\n')[0] ?? ''}`);
  else res.tocEntries = list.stdout.split('\n').filter((l) => /^\d+;/.test(l)).length;
  return { ...res, ok: problems.length === 0 };
}

/** pg_restore able to read dumps of this server (asked on the maintenance database: the platform's may be gone, see disaster recovery). */
export async function pgRestoreFor(db: DbAccess, binDir?: string): Promise<string> {
  const c = await db.connect('admin', db.target.maintenanceDb ?? 'postgres');
  try {
    return findTool('pg_restore', (await serverMajor(c)).major, binDir).exe;
  } finally {
    await c.end();
  }
}

/** The newest dump that verifies, with the results of those tried before it. */
export async function latestGoodDump(dumps: DumpEntry[], pgRestore: string): Promise<{ good?: DumpEntry; tried: VerifyResult[] }> {
  const tried: VerifyResult[] = [];
  for (const d of dumps) {
    const v = await verifyDumpFile(d.dumpFile, pgRestore);
    tried.push(v);
    if (v.ok) return { good: d, tried };
  }
  return { tried };
}

export { listDumps };
