// The offsite copy: rsync mirrors the backup target to a second one
// (NEXUS_BACKUP_OFFSITE: a folder on another disk, or host:folder over SSH),
// deletions included, so retention applies there too. Work in progress
// (drill clusters, partial files) is not copied.

import type { DbAccess } from '../db/connection.ts';
import { runTool } from './exec.ts';
import { recorded } from './record.ts';

export async function offsiteCopy(db: DbAccess, root: string, dest: string) {
  return recorded(db, 'offsite', async () => {
    const args = ['-a', '--delete-after', '--stats', '--exclude=/.drill-*', '--exclude=.*.partial', '--exclude=.*.tmp', '--exclude=/replica/', `${root.replace(/\/+$/, '')}/`, `${dest.replace(/\/+$/, '')}/`];
    const r = await runTool('/usr/bin/rsync', args, { failCode: 'offsite_failed' });
    const files = Number(/Number of regular files transferred: ([\d,]+)/.exec(r.stdout)?.[1]?.replace(/,/g, '') ?? NaN);
    const bytes = Number(/Total transferred file size: ([\d,]+)/.exec(r.stdout)?.[1]?.replace(/,/g, '') ?? NaN);
    return { artefact: dest, detail: { filesTransferred: files, bytesTransferred: bytes } };
  });
}
