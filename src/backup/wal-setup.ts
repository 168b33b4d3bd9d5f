// Turns WAL archiving on in a running server with ALTER SYSTEM (embedded or
// external; the administrative login must be a superuser). archive_mode only
// takes effect after a restart, which the caller is told about.

import type { DbAccess } from '../db/connection.ts';
import { archiveCommand } from './wal.ts';
import type { OsUser } from './osuser.ts';

/** `serverUser`: the OS user the server runs as, when we are root and it is another (embedded cluster). */
export async function setupArchiving(db: DbAccess, walDir: string, timeoutSeconds: number, serverUser?: OsUser): Promise<{ restartNeeded: boolean; command: string }> {
  const command = archiveCommand(walDir, serverUser);
  const c = await db.connect('admin');
  try {
    const settings: Array<[string, string]> = [
      ['archive_mode', 'on'],
      ['archive_command', command],
      ['archive_timeout', String(timeoutSeconds)],
    ];
    for (const [name, value] of settings) {
      // ALTER SYSTEM takes no bind parameters: format() quotes the value on the server.
      const { rows } = await c.query<{ sql: string }>('SELECT format($1::text, $2::text, $3::text) AS sql', ['ALTER SYSTEM SET %I = %L', name, value]);
      await c.query(rows[0]!.sql);
    }
    await c.query('SELECT pg_reload_conf()');
    const { rows } = await c.query<{ on: string }>("SELECT current_setting('archive_mode') AS on");
    return { restartNeeded: rows[0]!.on !== 'on', command };
  } finally {
    await c.end();
  }
}
