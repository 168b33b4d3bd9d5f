// Parameters (SYNC_PROTOCOL §5): the whole set with its version as ETag,
// 304 on If-None-Match, one version per changing transaction, admin-only
// writes, and the `nexus params` commands.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setParameters, readParameters, deleteParameter } from '../../src/sync/parameters.ts';
import { nexus } from '../helpers/cli.ts';
import { startStack, enrolDevice, request, auth, testHome, type Stack } from './stack.ts';

const s: Stack = await startStack();
const owner = s.t.db.pool('nexus_owner');

test('GET /v1/parameters answers the set and its version, with ETag and 304', async () => {
  const d = await enrolDevice(s);
  const get = (headers: Record<string, string> = {}) => request(s, s.sync.url, 'GET', '/v1/parameters', { headers: { ...auth(d.token), ...headers } });
  const empty = await get();
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.json, { version: 0, parameters: {} });
  assert.equal(empty.headers.etag, '"0"');
  const v = await setParameters(owner, { 'sync.interval_seconds': 300, sites: ['north', 'south'], 'alerts.thresholds': { pulse_bpm: [50, 110] } });
  assert.equal(v, 1);
  const full = await get();
  assert.deepEqual(full.json, { version: 1, parameters: { 'alerts.thresholds': { pulse_bpm: [50, 110] }, sites: ['north', 'south'], 'sync.interval_seconds': 300 } });
  assert.equal(full.headers.etag, '"1"');
  for (const inm of ['"1"', 'W/"1"', '"0", "1"', '*']) {
    const nm = await get({ 'if-none-match': inm });
    assert.equal(nm.status, 304, inm);
    assert.equal(nm.text, '');
    assert.equal(nm.headers.etag, '"1"');
  }
  assert.equal((await get({ 'if-none-match': '"0"' })).status, 200);
});

test('the version rises once per changing transaction, not for unchanged values', async () => {
  const before = (await readParameters(owner)).version;
  const v1 = await setParameters(owner, { a: 1, b: 2, c: 3 });
  assert.equal(v1, before + 1);
  assert.equal(await setParameters(owner, { a: 1, b: 2 }), v1, 'nothing changed');
  assert.equal(await setParameters(owner, { a: 1, b: 5 }), v1 + 1);
  assert.equal(await deleteParameter(owner, 'c'), true);
  assert.equal((await readParameters(owner)).version, v1 + 2);
});

test('the sync role reads parameters but cannot change them', async () => {
  await assert.rejects(s.t.query('nexus_sync', `INSERT INTO nexus.parameters (key, value) VALUES ('x', '1')`), { code: '42501' });
  await assert.rejects(s.t.query('nexus_sync', `UPDATE nexus.parameters_version SET version = 0`), { code: '42501' });
  const rows = await s.t.query('nexus_sync', 'SELECT version FROM nexus.parameters_version');
  assert.equal(rows.length, 1);
});

test('nexus params set, get, list, import and delete', async () => {
  const env = { NEXUS_HOME: testHome(), NEXUS_DB_NAME: s.t.name };
  const set = await nexus(['params', 'set', 'session_types', '["home_visit","phone_call"]'], env);
  assert.equal(set.code, 0, set.stderr);
  const get = await nexus(['params', 'get', 'session_types'], env);
  assert.deepEqual(JSON.parse(get.stdout), ['home_visit', 'phone_call']);
  const bad = await nexus(['params', 'set', 'x', 'not json'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /must be JSON/);
  const file = path.join(s.home, 'params.json');
  writeFileSync(file, JSON.stringify({ 'sync.interval_seconds': 120, sites: ['north'], 'forms.visit-standard': { version: 4 } }));
  const before = (await readParameters(owner)).version;
  const imp = await nexus(['params', 'import', file], env);
  assert.equal(imp.code, 0, imp.stderr);
  assert.equal((await readParameters(owner)).version, before + 1, 'one version for the whole import');
  const list = await nexus(['params', 'list', '--json'], env);
  const listed = JSON.parse(list.stdout);
  assert.equal(listed.parameters['sync.interval_seconds'], 120);
  assert.equal(listed.version, before + 1);
  const missing = await nexus(['params', 'get', 'nope'], env);
  assert.equal(missing.code, 3);
  assert.equal((await nexus(['params', 'delete', 'sites'], env)).code, 0);
  assert.equal((await readParameters(owner)).parameters.sites, undefined);
});
