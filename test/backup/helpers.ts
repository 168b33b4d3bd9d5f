// Shared by the backup tests: a scratch folder and a table with known rows.

import { after } from 'node:test';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestDb } from '../helpers/db.ts';

/** A temporary folder, removed after the file's tests unless `autoRemove` is false (then the caller removes it). */
export function scratch(prefix: string, autoRemove = true): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `nexus-${prefix}-`));
  chmodSync(dir, 0o711); // the server's OS user must reach folders inside when we are root
  if (autoRemove) after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** nexus.t_probe with `n` rows, created as the owner like a migration would. */
export async function probeTable(t: TestDb, n: number): Promise<void> {
  const c = await t.db.connect('admin');
  try {
    await c.query('SET ROLE nexus_owner');
    await c.query('CREATE TABLE nexus.t_probe (id int PRIMARY KEY, payload text NOT NULL)');
    await c.query("INSERT INTO nexus.t_probe SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, $1) g", [n]);
  } finally {
    await c.end();
  }
}
