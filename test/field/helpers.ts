// Device folders for the field tests: real directories, and a FieldFs that
// "crashes" at the n-th mutating call, to check recovery at every step.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { uuidv7 } from '../../src/protocol/index.ts';
import { FieldDevice, type FieldFs } from '../../src/field/index.ts';
import { nodeFs } from '../../src/field/node.ts';
import { newDeviceState, writeConfig, writeDeviceState, writeSecret } from '../../src/field/state.ts';

export function tempDir(prefix = 'nexus-field-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A device folder as `nexus field init` leaves it, without a server (unit tests). */
export async function offlineDevice(dir = tempDir()): Promise<{ dir: string; fs: FieldFs; deviceId: string }> {
  const fs = nodeFs(dir);
  const deviceId = uuidv7();
  await writeSecret(fs, { device_id: deviceId, device_secret: 'unit-test' });
  await writeConfig(fs, { guardian_url: 'https://127.0.0.1:9', sync_url: 'https://127.0.0.1:9', ca_file: null });
  for (const d of ['outbox', 'deadletter', 'patients']) await fs.mkdir(d);
  await writeDeviceState(fs, newDeviceState(deviceId, 'unit', null));
  return { dir, fs, deviceId };
}

export class Crash extends Error {}

export type CrashMode = 'before' | 'torn' | 'after';

/**
 * Delegates to `inner` and throws Crash at mutating call number `at` (1-based):
 * `before` does nothing, `torn` leaves the temp file of a writeAtomic behind
 * (as a kill between write and rename would), `after` completes the call
 * first (a kill right after it). Every later call throws too: the process is dead.
 */
export function crashingFs(inner: FieldFs, at: number, mode: CrashMode): FieldFs & { calls: () => number } {
  let n = 0;
  let dead = false;
  const step = async <T>(run: () => Promise<T>, torn?: () => Promise<void>): Promise<T> => {
    if (dead) throw new Crash('dead');
    n++;
    if (n !== at) return run();
    dead = true;
    if (mode === 'after') await run();
    if (mode === 'torn' && torn) await torn();
    throw new Crash(`crash at call ${at} (${mode})`);
  };
  return {
    calls: () => n,
    read: (p) => (dead ? Promise.reject(new Crash('dead')) : inner.read(p)),
    list: (p) => (dead ? Promise.reject(new Crash('dead')) : inner.list(p)),
    stat: (p) => (dead ? Promise.reject(new Crash('dead')) : inner.stat(p)),
    writeAtomic: (p, d, o) =>
      step(
        () => inner.writeAtomic(p, d, o),
        async () => {
          // Where nodeFs keeps a temp file until its rename (fs.ts TEMP_DIR).
          const tmp = `tmp/.${p.slice(p.lastIndexOf('/') + 1)}.deadbeef.tmp`;
          await inner.writeAtomic(tmp, typeof d === 'string' ? d.slice(0, 3) : d.slice(0, 3));
        },
      ),
    rename: (a, b) => step(() => inner.rename(a, b)),
    remove: (p) => step(() => inner.remove(p)),
    mkdir: (p) => step(() => inner.mkdir(p)),
  };
}

export const PDF = new Uint8Array(Buffer.from('%PDF-1.4\n% test document\n%%EOF\n'));
export const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 0xff, 0xd9]);

export async function reopen(fs: FieldFs): Promise<FieldDevice> {
  return FieldDevice.open(fs);
}
