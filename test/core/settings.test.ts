// Settings: one reader of the environment, validated once, clear errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SETTING_VARIABLES, loadSettings, parseEnvFile, redactUrl } from '../../src/core/settings.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-settings-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('defaults: embedded database under ./.nexus', () => {
  const s = loadSettings({}, dir);
  assert.equal(s.databaseUrl, undefined);
  assert.equal(s.home, path.join(dir, '.nexus'));
  assert.equal(s.pgPort, 0);
  assert.equal(s.pgDurable, true);
  assert.equal(s.logLevel, 'info');
  assert.ok(Object.isFrozen(s));
});

test('an env file is read, and the environment wins over it', () => {
  const file = path.join(dir, 'custom.env');
  writeFileSync(file, '# comment\nexport NEXUS_PG_PORT=6543\nNEXUS_LOG_LEVEL="debug"\n\nNEXUS_DB_NAME=clinic\n');
  const s = loadSettings({ NEXUS_ENV_FILE: file, NEXUS_DB_NAME: 'fromenv' }, dir);
  assert.equal(s.pgPort, 6543);
  assert.equal(s.logLevel, 'debug');
  assert.equal(s.dbName, 'fromenv');
  assert.equal(s.envFile, file);
});

test('./nexus.env is read when present', () => {
  const sub = mkdtempSync(path.join(dir, 'cwd-'));
  writeFileSync(path.join(sub, 'nexus.env'), 'NEXUS_PG_DURABLE=off\n');
  assert.equal(loadSettings({}, sub).pgDurable, false);
});

test('every invalid value is reported at once with exit code 2', () => {
  assert.throws(
    () => loadSettings({ NEXUS_PG_PORT: '-1', NEXUS_PG_DURABLE: 'maybe', NEXUS_DB_NAME: 'Robert"); DROP', DATABASE_URL: 'postgres://u:topsecret@' }, dir),
    (err: { code: string; exitCode: number; message: string }) => {
      assert.equal(err.code, 'invalid_setting');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /NEXUS_PG_PORT: "-1" is not valid; it accepts a whole number from 0 to 65535/);
      assert.match(err.message, /NEXUS_PG_DURABLE: "maybe" is not valid; it accepts true or false/);
      assert.match(err.message, /NEXUS_DB_NAME: .* it accepts a lowercase PostgreSQL name/);
      assert.match(err.message, /DATABASE_URL: .* it accepts a postgres:\/\//);
      assert.doesNotMatch(err.message, /topsecret/);
      return true;
    },
  );
});

test('a missing NEXUS_ENV_FILE or a malformed line is an error naming the place', () => {
  assert.throws(() => loadSettings({ NEXUS_ENV_FILE: path.join(dir, 'nope.env') }, dir), /NEXUS_ENV_FILE: .*nope\.env does not exist/);
  assert.throws(() => parseEnvFile('GOOD=1\nthis is not a setting\n', 'x.env'), /x\.env:2: expected KEY=value/);
});

test('URLs are redacted in messages', () => {
  assert.equal(redactUrl('postgres://admin:pw@db:5432/nexus'), 'postgres://admin:***@db:5432/nexus');
});

test('a NEXUS_* variable that is no setting is reported, with the closest setting', () => {
  const s = loadSettings({ NEXUS_PG_PROT: '5432', NEXUS_SOMETHING_ELSE: 'x', NEXUS_TEST_HOME: '/t', NEXUS_BENCH_OPS: '1' }, dir);
  assert.deepEqual(s.unknownVariables, ['NEXUS_PG_PROT (did you mean NEXUS_PG_PORT?)', 'NEXUS_SOMETHING_ELSE']);
});

test('docs/settings.md lists every setting', () => {
  const docs = readFileSync(new URL('../../docs/settings.md', import.meta.url), 'utf8');
  assert.ok(SETTING_VARIABLES.length > 50);
  assert.deepEqual(SETTING_VARIABLES.filter((v) => !docs.includes(`\`${v}\``)), []);
});
