// Guardian's JSON files: read with a clear error when damaged, and a cached
// view that re-reads only when the file was replaced. Every write is atomic
// (temp file + rename), so a new inode or mtime means new content, and the
// server picks up `nexus device add` without a restart.

import { readFileSync, statSync } from 'node:fs';
import { NexusError } from '../core/errors.ts';

export function readJsonFile<T>(file: string, empty: () => T, check: (v: unknown) => v is T): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!check(value)) {
    throw new NexusError('store_corrupt', `${file} is not a valid Guardian file; restore it from the standby gate or a backup.`);
  }
  return value;
}

/** The file's identity: atomic replacement always changes inode or mtime. */
function stamp(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.mtimeNs}:${s.size}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

export class CachedJsonFile<T> {
  readonly #file: string;
  readonly #read: () => T;
  #stamp: string | undefined;
  #value: T | undefined;

  constructor(file: string, read: () => T) {
    this.#file = file;
    this.#read = read;
  }

  /** The current content; one stat per call, a parse only after a change. */
  get(): T {
    const now = stamp(this.#file);
    if (this.#value === undefined || now !== this.#stamp) {
      this.#value = this.#read();
      this.#stamp = now;
    }
    return this.#value;
  }
}
