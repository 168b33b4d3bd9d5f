// `nexus clarity user …` through the real CLI: passwords from standard
// input, hashed with scrypt in the state store; bad input is a clear error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NEXUS_BIN, ROOT, childEnv } from '../helpers/cli.ts';
import { JsonStore } from '../../src/clarity/store.ts';
import { clarityPaths } from '../../src/clarity/paths.ts';
import { authenticate } from '../../src/clarity/users.ts';

function run(home: string, args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXUS_BIN, 'clarity', ...args], { cwd: ROOT, env: childEnv({ NEXUS_HOME: home }), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

test('user add, list, passwd, role, remove', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'clarity-cli-'));
  try {
    assert.equal((await run(home, ['user', 'add', 'mia', '--role', 'editor'], 'first password 1\n')).code, 0);
    const file = readFileSync(path.join(clarityPaths(home).state, 'users.json'), 'utf8');
    assert.match(file, /"hash": "scrypt\$32768\$8\$1\$/);
    assert.doesNotMatch(file, /first password/);
    const list = await run(home, ['user', 'list', '--json']);
    assert.deepEqual(JSON.parse(list.stdout).map((u: { name: string; role: string }) => [u.name, u.role]), [['mia', 'editor']]);
    const store = new JsonStore(clarityPaths(home).state);
    assert.ok(await authenticate(store, 'mia', 'first password 1'));
    assert.equal((await run(home, ['user', 'passwd', 'mia'], 'second password 2\n')).code, 0);
    assert.equal(await authenticate(store, 'mia', 'first password 1'), undefined);
    assert.ok(await authenticate(store, 'mia', 'second password 2'));
    assert.equal((await run(home, ['user', 'role', 'mia', 'admin'])).code, 0);
    const dup = await run(home, ['user', 'add', 'mia'], 'another password\n');
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /exists already/);
    const weak = await run(home, ['user', 'add', 'leo'], 'short\n');
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /at least 10 characters/);
    const role = await run(home, ['user', 'add', 'leo', '--role', 'root'], 'long enough pw\n');
    assert.match(role.stderr, /role must be one of viewer, editor, admin/);
    assert.equal((await run(home, ['user', 'remove', 'mia'])).code, 0);
    assert.equal((await run(home, ['user', 'remove', 'mia'])).code, 2);
    assert.doesNotMatch((await run(home, ['user', 'remove', 'mia'])).stderr, /at .*\.ts/, 'no stack trace');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
