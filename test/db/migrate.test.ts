// The migration runner: ordered, recorded with checksums, idempotent, and
// strict about history.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testDatabase } from '../helpers/db.ts';
import { migrate, readMigrations, MIGRATIONS_DIR } from '../../src/db/migrate.ts';

const t = await testDatabase();
const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-mig-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('every migration is recorded with the SHA-256 of its file; a second run is a no-op', async () => {
  const files = readMigrations();
  const rows = await t.query<{ version: number; checksum: string }>('admin', 'SELECT version, checksum FROM nexus.schema_migrations ORDER BY version');
  assert.deepEqual(rows.map((r) => [r.version, r.checksum]), files.map((m) => [m.version, m.checksum]));
  const res = await migrate(t.db);
  assert.equal(res.applied.length, 0);
  assert.equal(res.alreadyApplied, files.length);
});

test('a changed migration that was applied is refused with a clear error', async () => {
  const copy = path.join(dir, 'changed');
  cpSync(MIGRATIONS_DIR, copy, { recursive: true });
  appendFileSync(path.join(copy, '0003_warehouse.sql'), '\n-- an innocent-looking edit\n');
  await assert.rejects(migrate(t.db, readMigrations(copy)), (err: { code: string; message: string }) => {
    assert.equal(err.code, 'migration_changed');
    assert.match(err.message, /0003_warehouse\.sql was changed after it was applied/);
    return true;
  });
});

test('a new migration applies once; a failing one is rolled back entirely and not recorded', async () => {
  const copy = path.join(dir, 'more');
  cpSync(MIGRATIONS_DIR, copy, { recursive: true });
  writeFileSync(path.join(copy, '0900_good.sql'), 'CREATE TABLE mart_ops.added_later (id int);');
  const first = await migrate(t.db, readMigrations(copy));
  assert.deepEqual(first.applied.map((m) => m.file), ['0900_good.sql']);
  assert.equal((await migrate(t.db, readMigrations(copy))).applied.length, 0);
  const owner = await t.query<{ o: string }>('admin', `SELECT tableowner AS o FROM pg_tables WHERE tablename = 'added_later'`);
  assert.deepEqual(owner, [{ o: 'nexus_owner' }]);

  writeFileSync(path.join(copy, '0901_bad.sql'), 'CREATE TABLE mart_ops.half_done (id int);\nSELECT 1/0;');
  await assert.rejects(migrate(t.db, readMigrations(copy)), { code: 'migration_failed' });
  assert.deepEqual(await t.query('admin', `SELECT 1 FROM pg_tables WHERE tablename = 'half_done'`), []);
  assert.deepEqual(await t.query('admin', 'SELECT 1 FROM nexus.schema_migrations WHERE version = 901'), []);
});

test('a database migrated by newer code is refused', async () => {
  await assert.rejects(migrate(t.db, readMigrations().slice(0, 2)), { code: 'migration_unknown' });
});

test('badly named files are refused', () => {
  const bad = path.join(dir, 'bad');
  cpSync(MIGRATIONS_DIR, bad, { recursive: true });
  writeFileSync(path.join(bad, 'add-things.sql'), 'SELECT 1;');
  assert.throws(() => readMigrations(bad), { code: 'migration_name_invalid' });
});
