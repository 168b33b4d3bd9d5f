// fsync of a file or folder by path: a rename is durable only once the
// folder holding it is synced.

import { closeSync, fsyncSync, openSync } from 'node:fs';

export function fsyncPath(p: string): void {
  const fd = openSync(p, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
