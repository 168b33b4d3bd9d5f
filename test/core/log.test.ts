// Log records: JSON lines for machines, one readable line per record on a
// terminal (NEXUS_LOG_FORMAT), through the real CLI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatRecord } from '../../src/core/log.ts';
import { nexus } from '../helpers/cli.ts';

test('a record becomes one readable line: time, level, service, request and status, the other fields', () => {
  const done = formatRecord(JSON.stringify({ level: 30, time: '2026-11-26T14:17:27.003Z', name: 'nexus', service: 'sync', reqId: 'req-1', res: { statusCode: 404 }, responseTime: 0.54, msg: 'request completed' }));
  assert.equal(done, '14:17:27  INFO   sync  404 1 ms  reqId=req-1\n');
  const incoming = formatRecord(JSON.stringify({ level: 30, time: '2026-11-26T14:17:27.002Z', service: 'sync', reqId: 'req-1', req: { method: 'GET', url: '/healthz' }, msg: 'incoming request' }));
  assert.equal(incoming, '14:17:27  INFO   sync  GET /healthz  incoming request  reqId=req-1\n');
  const warn = formatRecord(JSON.stringify({ level: 40, time: '2026-11-26T14:17:27.045Z', service: 'health', check: 'wal_archiver', status: 'warn', msg: 'WAL archiving is off' }));
  assert.equal(warn, '14:17:27  WARN   health  WAL archiving is off  check=wal_archiver status=warn\n');
  const failed = formatRecord(JSON.stringify({ level: 50, time: '2026-11-26T14:17:28.000Z', err: { message: 'boom', stack: 'Error: boom\n    at x (y.ts:1:1)' }, msg: 'request failed' }));
  assert.equal(failed, '14:17:28  ERROR  request failed\n  Error: boom\n      at x (y.ts:1:1)\n');
  assert.equal(formatRecord('not json\n'), 'not json\n', 'anything else passes unchanged');
});

test('NEXUS_LOG_FORMAT: pretty and json through the CLI; a wrong value stops with exit 2', async () => {
  const env = { NEXUS_HOME: mkdtempSync(path.join(os.tmpdir(), 'nexus-log-')), NEXUS_NOT_A_SETTING: '1' };
  const pretty = await nexus(['tls', 'init'], { ...env, NEXUS_LOG_FORMAT: 'pretty' });
  assert.equal(pretty.code, 0, pretty.stderr);
  assert.match(pretty.stderr, /^\d\d:\d\d:\d\d {2}WARN {3}these NEXUS_\* variables are not settings and are ignored {2}variables=\["NEXUS_NOT_A_SETTING"\]$/m);
  const json = await nexus(['tls', 'init'], { ...env, NEXUS_LOG_FORMAT: 'json' });
  assert.equal(json.code, 0, json.stderr);
  const record = JSON.parse(json.stderr.trim().split('\n')[0]!);
  assert.deepEqual([record.level, record.variables], [40, ['NEXUS_NOT_A_SETTING']]);
  // Not a terminal: auto is JSON.
  assert.equal(JSON.parse((await nexus(['tls', 'init'], env)).stderr.trim().split('\n')[0]!).level, 40);
  const bad = await nexus(['tls', 'init'], { ...env, NEXUS_LOG_FORMAT: 'yaml' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /NEXUS_LOG_FORMAT/);
});
