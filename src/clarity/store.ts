// Clarity's own state: one JSON document per collection under state/,
// written atomically (temp file, fsync, rename). Read on every access, so
// the CLI and the running service see each other's changes without a
// restart; collections are small (users, questions, dashboards, sources).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/files.ts';
import { NexusError } from '../core/errors.ts';

export type Collection = 'users' | 'questions' | 'dashboards' | 'sources' | 'sessions';

export class JsonStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  file(c: Collection): string {
    return path.join(this.dir, `${c}.json`);
  }

  read<T>(c: Collection): T[] {
    const f = this.file(c);
    if (!existsSync(f)) return [];
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as T[];
    } catch (err) {
      throw new NexusError('clarity_state_corrupt', `${f} is not valid JSON; restore it from a backup`, { cause: err });
    }
  }

  write<T>(c: Collection, items: T[]): void {
    writeFileAtomic(this.file(c), JSON.stringify(items, null, 2) + '\n');
  }

  /** Read, change, write; the change function may throw to abort. */
  update<T>(c: Collection, fn: (items: T[]) => T[]): T[] {
    const next = fn(this.read<T>(c));
    this.write(c, next);
    return next;
  }
}
