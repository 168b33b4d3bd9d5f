// Scratch files for import tests, removed when the test file ends.

import { after } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-import-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

export function scratchDir(): string {
  return dir;
}

export function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}
