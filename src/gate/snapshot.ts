// A consistent copy of Guardian's folder for the standby. Every file there is
// replaced atomically, and the copy is taken under Guardian's lock, so the
// registry, the signing keys and the gate key in the copy belong together
// (no registration half-sent without the key that signs its tokens).

import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { guardianDir, withGuardianLock } from '../guardian/index.ts';

export async function snapshotGuardian(home: string, out: string): Promise<string[]> {
  return withGuardianLock(home, () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true, mode: 0o700 });
    const dir = guardianDir(home);
    const copied: string[] = [];
    for (const name of readdirSync(dir)) {
      // The lock and temp files of atomic writes stay behind.
      if (name.startsWith('.')) continue;
      const from = path.join(dir, name);
      if (!statSync(from).isFile()) continue;
      copyFileSync(from, path.join(out, name));
      copied.push(name);
    }
    return copied.sort();
  });
}
