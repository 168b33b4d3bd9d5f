// Credentials named in source files: read through settings (secretFromEnv),
// only from variables that look like one and are not the platform's own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { secretFromEnv } from '../../src/core/settings.ts';

test('secretFromEnv: the value from the environment or the env file; bad names and missing values are clear errors', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-secret-'));
  try {
    writeFileSync(path.join(dir, 'nexus.env'), 'FROM_FILE_TOKEN=abc\n');
    assert.equal(secretFromEnv('API_TOKEN', { API_TOKEN: 'xyz' }, dir), 'xyz');
    assert.equal(secretFromEnv('FROM_FILE_TOKEN', {}, dir), 'abc');
    for (const bad of ['lower_case', 'NEXUS_IMPORT_TOKEN', 'DATABASE_URL', 'A-B', '']) {
      assert.throws(() => secretFromEnv(bad, { [bad]: 'x' }, dir), (e: { code?: string }) => e.code === 'invalid_secret_name', bad);
    }
    assert.throws(() => secretFromEnv('NOT_SET_ANYWHERE', {}, dir), (e: { code?: string; message: string }) => e.code === 'secret_missing' && /NOT_SET_ANYWHERE is not set/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
