// `nexus backup run|list|verify|restore --test` as an administrator runs them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { testDatabase, testHome } from '../helpers/db.ts';
import { nexus } from '../helpers/cli.ts';
import { clusterSettingsEnv } from '../helpers/cluster-env.ts';
import { scratch } from './helpers.ts';

const t = await testDatabase();

test('backup run → list → verify → restore --test; a damaged dump fails verify with exit 1', async () => {
  const env = { ...clusterSettingsEnv(testHome(), t.name), NEXUS_BACKUP_DIR: path.join(scratch('cli'), 'nas') };
  const run = await nexus(['backup', 'run', '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  const dump = JSON.parse(run.stdout) as { artefact: string; manifest: { rowCounts: Record<string, number> } };
  assert.ok(dump.artefact.startsWith(env.NEXUS_BACKUP_DIR));
  const list = JSON.parse((await nexus(['backup', 'list', '--json'], env)).stdout);
  assert.equal(list.dumps.length, 1);
  assert.equal(list.dumps[0].hasManifest, true);
  const ok = await nexus(['backup', 'verify'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok /);
  const rt = await nexus(['backup', 'restore', '--test', '--json'], env);
  assert.equal(rt.code, 0, rt.stderr);
  appendFileSync(dump.artefact, 'trailing garbage');
  const bad = await nexus(['backup', 'verify', dump.artefact], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^BAD .*size is/);
  const usage = await nexus(['backup', 'restore'], env);
  assert.equal(usage.code, 2);
});
