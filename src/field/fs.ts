// The only way the device library reaches storage. Paths are relative to the
// device folder and use '/' (so an OPFS implementation can map them onto
// directory handles). Small and promise-based on purpose: Node's fs now, the
// browser's Origin Private File System later (issue 10), same guarantees.

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface FieldFs {
  /** The bytes of a file, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /**
   * Replaces the file atomically and durably: temp file in TEMP_DIR, fsync,
   * rename into place, fsync the folder. Readers see the old content or the
   * new one, never a torn file. Creates missing parent folders. `mode` is a
   * hint (ignored where there are no permissions). Temp files live in one
   * known folder so that recovery finds a crash's leftovers without walking
   * every patient folder.
   */
  writeAtomic(path: string, data: Uint8Array | string, opts?: { mode?: number }): Promise<void>;
  /** Atomic rename within the device folder (replaces `to`), then a folder fsync. */
  rename(from: string, to: string): Promise<void>;
  /** Names in a folder, sorted; [] when the folder does not exist (temp files included: see isTempName). */
  list(dir: string): Promise<string[]>;
  /** Removes a file or a whole folder; no error when it does not exist. */
  remove(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  stat(path: string): Promise<FileStat | null>;
}

export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export async function readJson<T>(fs: FieldFs, path: string): Promise<T | null> {
  const bytes = await fs.read(path);
  if (bytes === null) return null;
  return JSON.parse(dec.decode(bytes)) as T;
}

export function writeJson(fs: FieldFs, path: string, value: unknown, opts?: { mode?: number }): Promise<void> {
  return fs.writeAtomic(path, enc.encode(JSON.stringify(value, null, 2) + '\n'), opts);
}

/**
 * Where writeAtomic keeps its temp files (`.<name>.<random>.tmp`) until the
 * rename: one folder, on the same file system as the rest of the device
 * folder (so the rename stays atomic). A crash can leave files here and
 * nowhere else; recovery empties it.
 */
export const TEMP_DIR = 'tmp';

/** A temp file name (also those of older versions, which wrote them next to the target). */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}
