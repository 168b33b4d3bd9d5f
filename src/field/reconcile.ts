// Checks of single patient folders, shared by recovery (the folders an
// intent names, or all of them when the index is rebuilt) and by
// reconcileIndex (folders the index does not know), and the report both fill.

import { isTempName, joinPath, type FieldFs } from './fs.ts';
import { PATIENTS, entityFolders } from './layout.ts';
import { readMeta } from './meta.ts';
import type { FieldDevice } from './device.ts';

export interface RecoveryReport {
  tempFilesRemoved: number;
  settledDeadLetters: number;
  renumbered: number;
  rolledForward: number;
  rolledBack: number;
  tombstonedRemoved: number;
  pendingOps: number;
  /** Patient folders looked into (all of them only when the index was rebuilt). */
  foldersChecked: number;
  indexRebuilt: boolean;
  durationMs: number;
}

export async function removeTemps(fs: FieldFs, dir: string, all = false): Promise<number> {
  let n = 0;
  for (const name of await fs.list(dir)) {
    if (all || isTempName(name)) {
      await fs.remove(joinPath(dir, name));
      n++;
    }
  }
  return n;
}

/** Runs `fn` over `items`, `limit` at a time (storage calls are slow one by one, OPFS especially). */
export async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

export const emptyReport = (): RecoveryReport => ({
  tempFilesRemoved: 0, settledDeadLetters: 0, renumbered: 0, rolledForward: 0, rolledBack: 0, tombstonedRemoved: 0, pendingOps: 0,
  foldersChecked: 0, indexRebuilt: false, durationMs: 0,
});

/**
 * Repairs one patient folder: attachment bytes that no pending op and no
 * known version name go (rule 6), the index entry is re-read; with `legacy`
 * also the temp files older versions left next to their targets.
 */
export async function checkFolder(dev: FieldDevice, p: string, r: RecoveryReport, o: { legacy: boolean; exists: boolean }): Promise<void> {
  const { fs } = dev;
  r.foldersChecked++;
  if (!o.exists && !(await fs.stat(joinPath(PATIENTS, p)))) {
    dev.patients.remove(p);
    return;
  }
  if (o.legacy) {
    r.tempFilesRemoved += await removeTemps(fs, joinPath(PATIENTS, p));
    for (const f of entityFolders) r.tempFilesRemoved += await removeTemps(fs, joinPath(PATIENTS, p, f));
  }
  const meta = await readMeta(fs, p);
  for (const folder of ['documents', 'images'] as const) {
    for (const name of await fs.list(joinPath(PATIENTS, p, folder))) {
      const id = name.replace(/\.(pdf|jpg)$/, '');
      if (!dev.hasPending(id) && !meta.versions[id]) {
        await fs.remove(joinPath(PATIENTS, p, folder, name));
        r.rolledBack++;
      }
    }
  }
  await dev.patients.refresh(p, meta);
}

/**
 * The index against the listing of patients/ (one call): folders it lacks
 * (added behind its back, e.g. restored from a backup, or written by an
 * older version) are checked and read, entries without a folder dropped,
 * tombstoned folders removed. Not needed for crash safety — recovery has
 * repaired what a crash can leave — so an app may run it after it has shown
 * its list (inside `exclusive`); FieldDevice.open runs it by default.
 */
export async function reconcileIndex(dev: FieldDevice, r: RecoveryReport = emptyReport()): Promise<RecoveryReport> {
  const { fs } = dev;
  const index = dev.patients;
  const folders = (await fs.list(PATIENTS)).filter((n) => !isTempName(n));
  const present = new Set(folders);
  for (const id of [...index.entries.keys()]) if (!present.has(id)) index.remove(id);
  const missing: string[] = [];
  for (const p of folders) {
    if (dev.isTombstoned(p)) {
      await fs.remove(joinPath(PATIENTS, p));
      index.remove(p);
      r.tombstonedRemoved++;
    } else if (!index.entries.has(p)) missing.push(p);
  }
  await pool(missing, 32, (p) => checkFolder(dev, p, r, { legacy: true, exists: true }));
  await index.save();
  return r;
}
