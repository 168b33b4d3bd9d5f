// FieldFs on Node's fs: the device folder is a real directory. Temp files go
// to TEMP_DIR (same file system, so rename(2) into place is atomic); the
// target's folder is fsynced after the rename, which makes the new entry durable.

import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TEMP_DIR, type FieldFs, type FileStat } from './fs.ts';

async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, constants.O_RDONLY);
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

export function nodeFs(root: string): FieldFs {
  const abs = (p: string): string => {
    const full = path.resolve(root, p);
    if (full !== root && !full.startsWith(root + path.sep)) throw new Error(`path outside the device folder: ${p}`);
    return full;
  };
  root = path.resolve(root);
  return {
    async read(p) {
      try {
        return await readFile(abs(p));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async writeAtomic(p, data, opts) {
      const file = abs(p);
      const dir = path.dirname(file);
      const tmpDir = abs(TEMP_DIR);
      await mkdir(dir, { recursive: true });
      const tmp = path.join(tmpDir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
      const fd = await open(tmp, 'w', opts?.mode ?? 0o644).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await mkdir(tmpDir, { recursive: true });
        return open(tmp, 'w', opts?.mode ?? 0o644);
      });
      try {
        await fd.writeFile(data);
        await fd.sync();
      } finally {
        await fd.close();
      }
      await rename(tmp, file);
      await fsyncDir(dir);
    },
    async rename(from, to) {
      const dest = abs(to);
      await mkdir(path.dirname(dest), { recursive: true });
      await rename(abs(from), dest);
      await fsyncDir(path.dirname(dest));
      if (path.dirname(dest) !== path.dirname(abs(from))) await fsyncDir(path.dirname(abs(from)));
    },
    async list(p) {
      try {
        return (await readdir(abs(p))).sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    async remove(p) {
      await rm(abs(p), { recursive: true, force: true });
    },
    async mkdir(p) {
      await mkdir(abs(p), { recursive: true });
    },
    async stat(p): Promise<FileStat | null> {
      try {
        const s = await stat(abs(p));
        return { size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
  };
}
