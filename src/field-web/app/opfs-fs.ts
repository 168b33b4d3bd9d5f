// FieldFs on the Origin Private File System: the device folder of
// SYNC_PROTOCOL §6, file for file, under one OPFS directory.
//
// Atomicity without rename (OPFS has no general rename):
// - An existing file is replaced through createWritable(): the spec writes to
//   a swap file and commits it on close(), so readers see the old bytes or the
//   new ones, never a mix; abort() (or a crash before close) keeps the old.
// - A new file cannot go the same way: getFileHandle({create}) makes an empty
//   file at once. Where FileSystemHandle.move() exists (Chromium, Safari 26)
//   the bytes go to `tmp/.<name>.<rand>.tmp` first and are moved into place
//   (the library's TEMP_DIR: recovery empties it, without visiting patient
//   folders). Without
//   move() the file is written in place and emptiness is the commit marker:
//   the library never writes an empty file (JSON always has bytes, an
//   attachment has its PDF/JPEG magic), so read()/stat() treat a 0-byte file
//   as absent, i.e. "neither", which is what a crash before commit must mean.
// - rename(from, to) uses move(); without it, `to` is written (atomically, as
//   above) before `from` is removed. A crash between leaves both: the
//   library's only rename (renumber.ts, outbox → outbox-renumber) tolerates
//   that, since recovery drops a renumber copy whose op_id is still in the outbox.
// Durability: OPFS has no fsync; a closed writable is committed by the browser.
// One tab at a time owns the folder (main.ts takes a Web Lock), as the
// library allows one process per device folder.

import { TEMP_DIR, type FieldFs, type FileStat } from '../../field/index.ts';

type Dir = FileSystemDirectoryHandle;
type Movable = FileSystemFileHandle & { move?: (dir: Dir, name: string) => Promise<void> };

const missing = (err: unknown): boolean => err instanceof DOMException && (err.name === 'NotFoundError' || err.name === 'TypeMismatchError');

function split(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`path outside the device folder: ${path}`);
  return parts;
}

function randomSuffix(): string {
  const b = new Uint8Array(6);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

async function writeHandle(h: FileSystemFileHandle, data: Uint8Array | string): Promise<void> {
  const w = await h.createWritable({ keepExistingData: false });
  try {
    await w.write(typeof data === 'string' ? data : (data as Uint8Array<ArrayBuffer>));
    await w.close();
  } catch (err) {
    await w.abort().catch(() => undefined);
    throw err;
  }
}

export async function opfsFs(folder = 'nexus-field'): Promise<FieldFs & { root: Dir }> {
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder, { create: true });
  const canMove = typeof (FileSystemFileHandle.prototype as Movable).move === 'function';
  let tmpDir: Dir | null = null; // recovery empties it but never removes it

  async function dirAt(parts: string[], create: boolean): Promise<Dir | null> {
    let d = root;
    for (const p of parts) {
      try {
        d = await d.getDirectoryHandle(p, { create });
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    }
    return d;
  }

  async function fileAt(path: string): Promise<{ dir: Dir; name: string; handle: FileSystemFileHandle | null }> {
    const parts = split(path);
    const name = parts.pop();
    if (!name) throw new Error(`not a file path: ${path}`);
    const dir = await dirAt(parts, true);
    let handle: FileSystemFileHandle | null = null;
    try {
      handle = await dir!.getFileHandle(name);
    } catch (err) {
      if (!missing(err)) throw err;
    }
    return { dir: dir!, name, handle };
  }

  async function fileOf(path: string): Promise<File | null> {
    const parts = split(path);
    const name = parts.pop();
    const dir = name ? await dirAt(parts, false) : null;
    if (!dir || !name) return null;
    try {
      const file = await (await dir.getFileHandle(name)).getFile();
      return file.size === 0 ? null : file;
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  }

  const fs: FieldFs & { root: Dir } = {
    root,
    async read(path) {
      const file = await fileOf(path);
      return file ? new Uint8Array(await file.arrayBuffer()) : null;
    },
    async writeAtomic(path, data) {
      const { dir, name, handle } = await fileAt(path);
      if (handle) return writeHandle(handle, data);
      if (!canMove) return writeHandle(await dir.getFileHandle(name, { create: true }), data);
      tmpDir ??= (await dirAt([TEMP_DIR], true))!;
      const tmp = (await tmpDir.getFileHandle(`.${name}.${randomSuffix()}.tmp`, { create: true })) as Movable;
      await writeHandle(tmp, data);
      await tmp.move!(dir, name);
    },
    async rename(from, to) {
      const src = await fileAt(from);
      if (!src.handle) throw new DOMException(`no such file: ${from}`, 'NotFoundError');
      const dest = await fileAt(to);
      if (canMove) {
        if (dest.handle) await dest.dir.removeEntry(dest.name);
        await (src.handle as Movable).move!(dest.dir, dest.name);
        return;
      }
      await fs.writeAtomic(to, new Uint8Array(await (await src.handle.getFile()).arrayBuffer()));
      await src.dir.removeEntry(src.name);
    },
    async list(path) {
      const dir = await dirAt(split(path), false);
      if (!dir) return [];
      const names: string[] = [];
      // Chromium's in-progress swap files are the browser's, not ours.
      for await (const name of (dir as Dir & { keys(): AsyncIterable<string> }).keys()) if (!name.endsWith('.crswap')) names.push(name);
      return names.sort();
    },
    async remove(path) {
      const parts = split(path);
      const name = parts.pop();
      const dir = name ? await dirAt(parts, false) : null;
      if (!dir || !name) return;
      try {
        await dir.removeEntry(name, { recursive: true });
      } catch (err) {
        if (!missing(err)) throw err;
      }
    },
    async mkdir(path) {
      await dirAt(split(path), true);
    },
    async stat(path): Promise<FileStat | null> {
      const parts = split(path);
      if (parts.length === 0) return { size: 0, mtimeMs: 0, isDirectory: true };
      if (await dirAt(parts, false)) return { size: 0, mtimeMs: 0, isDirectory: true };
      const file = await fileOf(path);
      return file ? { size: file.size, mtimeMs: file.lastModified, isDirectory: false } : null;
    },
  };
  return fs;
}

/** Removes the whole device folder (the app's "forget this device" after a revocation). */
export async function wipeOpfs(folder = 'nexus-field'): Promise<void> {
  await (await navigator.storage.getDirectory()).removeEntry(folder, { recursive: true }).catch(() => undefined);
}
