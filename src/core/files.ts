// Durable file writes: temp file in the same folder, fsync, rename, fsync the
// folder. A crash leaves the old content or the new one, never a torn file.

import { closeSync, fsyncSync, openSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/**
 * Creates $NEXUS_HOME traversable but not listable (0711): the embedded
 * PostgreSQL runs as another OS user and must reach $NEXUS_HOME/pg, while
 * secrets and TLS keys sit in 0700 folders inside.
 */
export function ensureHomeDir(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o711 });
}
