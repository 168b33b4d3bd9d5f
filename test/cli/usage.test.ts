// Bad usage and bad settings: exit code 2 and a sentence naming what to fix.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nexus } from '../helpers/cli.ts';

const home = mkdtempSync(path.join(os.tmpdir(), 'nexus-cli-'));
test.after(() => rmSync(home, { recursive: true, force: true }));
const env = { NEXUS_HOME: home };

test('--help lists every command with a description', async () => {
  const r = await nexus(['--help'], env);
  assert.equal(r.code, 0);
  for (const cmd of ['up', 'db', 'migrate', 'tls']) assert.match(r.stdout, new RegExp(`^  ${cmd}\\b.*\\S`, 'm'), `${cmd} listed`);
});

test('an unknown command or option prints usage and exits 2', async () => {
  const r = await nexus(['frobnicate'], env);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(r.stderr, /nexus --help/);
  const o = await nexus(['db', 'status', '--bogus'], env);
  assert.equal(o.code, 2);
  assert.match(o.stderr, /unknown option '--bogus'/);
});

test('a wrong setting stops with exit 2, naming the variable and what it accepts', async () => {
  const r = await nexus(['db', 'status'], { ...env, NEXUS_PG_PORT: '99999', NEXUS_LOG_LEVEL: 'loud' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /NEXUS_PG_PORT: "99999" is not valid; it accepts a whole number from 0 to 65535/);
  assert.match(r.stderr, /NEXUS_LOG_LEVEL: "loud" is not valid; it accepts one of/);
  const u = await nexus(['db', 'status'], { ...env, DATABASE_URL: 'mysql://root:hunter2@db/x' });
  assert.equal(u.code, 2);
  assert.match(u.stderr, /DATABASE_URL/);
  assert.doesNotMatch(u.stderr, /hunter2/);
});

test('an unreachable database is named by host, port and database, never the password', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const r = await nexus(['migrate'], { ...env, DATABASE_URL: `postgres://admin:s3cret-pw@127.0.0.1:${port}/clinicdb` });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} \\(database clinicdb\\)`));
  assert.doesNotMatch(r.stderr, /s3cret-pw/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('db start/stop refuse an external database', async () => {
  const r = await nexus(['db', 'start'], { ...env, DATABASE_URL: 'postgres://a:b@127.0.0.1:1/x' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /DATABASE_URL is set/);
});
