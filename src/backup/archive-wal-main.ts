// Entry of `nexus backup archive-wal [--dir DIR] <path> <name>` when the
// server runs it as archive_command: bin/nexus.js comes here directly
// instead of loading every command, because this runs once per WAL segment
// (0.5 s instead of 3 s a segment). Same arguments as the commander command.

import path from 'node:path';
import { loadSettings } from '../core/settings.ts';
import { toNexusError } from '../core/errors.ts';
import { archiveWal } from './wal.ts';
import { backupPaths } from './paths.ts';

async function main(args: string[]): Promise<number> {
  try {
    let dir: string | undefined;
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--dir') dir = args[++i];
      else if (args[i]?.startsWith('--dir=')) dir = args[i]!.slice(6);
      else rest.push(args[i]!);
    }
    const [src, name] = rest;
    const usage = 'usage: nexus backup archive-wal [--dir DIR] <path> <name>\n' + "PostgreSQL's archive_command: copy a WAL file durably into the archive (default: wal/ under NEXUS_BACKUP_DIR)\n";
    if (args.includes('--help') || args.includes('-h')) {
      process.stdout.write(usage);
      return 0;
    }
    if (!src || !name || rest.length !== 2) {
      process.stderr.write(usage);
      return 2;
    }
    await archiveWal(path.resolve(src), name, dir ?? backupPaths(loadSettings()).wal);
    return 0;
  } catch (err) {
    const e = toNexusError(err);
    process.stderr.write(`nexus backup archive-wal: ${e.code === 'internal_error' ? String(e.cause) : e.message}\n`);
    return e.exitCode;
  }
}

process.exit(await main(process.argv.slice(4)));
