// The backup service runs what is due as soon as it starts (here: a dump,
// retention and the restore test; no base backup or drill while archiving
// is off), then the configuration snapshot and the offsite copy, and stops
// cleanly; the schedule's rules on their own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testDatabase } from '../helpers/db.ts';
import { backupService } from '../../src/backup/service.ts';
import { dueTasks, RETRY_AFTER_FAILURE_MS } from '../../src/backup/schedule.ts';
import { listDumps } from '../../src/backup/manifest.ts';
import { createLogger } from '../../src/core/log.ts';
import type { LastRun, RunKind } from '../../src/backup/record.ts';
import type { Settings } from '../../src/core/settings.ts';
import { scratch } from './helpers.ts';

const t = await testDatabase();

test('due tasks follow the recorded runs, and a failure is retried after an hour, not at once', () => {
  const now = new Date();
  const iv = { dumpHours: 24, baseDays: 7, restoreTestDays: 7 };
  const run = (kind: RunKind, status: LastRun['status'], hoursAgo: number): LastRun => ({ kind, status, startedAt: now, finishedAt: new Date(now.getTime() - hoursAgo * 3_600_000), artefact: null });
  const none = new Map<RunKind, LastRun>();
  assert.deepEqual(dueTasks(now, iv, none, none, false), ['dump', 'restore_test']);
  assert.deepEqual(dueTasks(now, iv, none, none, true), ['dump', 'base', 'restore_test', 'drill']);
  assert.deepEqual(dueTasks(now, iv, none, none, false, true), ['dump', 'restore_test', 'clarity']);
  const good = new Map<RunKind, LastRun>([['dump', run('dump', 'ok', 2)], ['restore_test', run('restore_test', 'ok', 100)]]);
  assert.deepEqual(dueTasks(now, iv, good, good, false), []);
  const failedJustNow = new Map<RunKind, LastRun>([['dump', run('dump', 'failed', 0.1)]]);
  assert.deepEqual(dueTasks(now, iv, failedJustNow, none, false), ['restore_test']);
  const failedLongAgo = new Map<RunKind, LastRun>([['dump', run('dump', 'failed', RETRY_AFTER_FAILURE_MS / 3_600_000 + 0.1)]]);
  assert.deepEqual(dueTasks(now, iv, failedLongAgo, none, false), ['dump', 'restore_test']);
});

test('the service makes a dump, a restore test, a config snapshot and an offsite copy at start, and stops cleanly', async () => {
  const dir = scratch('bsvc');
  const nas = path.join(dir, 'nas');
  const etc = path.join(dir, 'etc-nexus');
  mkdirSync(etc);
  writeFileSync(path.join(etc, 'nexus.env'), 'NEXUS_HOME=/var/lib/nexus\n');
  // Its own home: no Clarity state there, so no Clarity backup is due.
  const settings: Settings = { ...t.settings, home: dir, backupDir: nas, configDir: etc, backupOffsite: path.join(dir, 'offsite') };
  const svc = await backupService.start({ settings, log: createLogger('silent'), db: t.db, endpoints: {} });
  try {
    for (let i = 0; i < 100; i++) {
      const rows = await t.query('nexus_backup', "SELECT 1 FROM nexus.backup_run WHERE kind = 'offsite' AND status <> 'running'");
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await svc.stop();
  }
  const runs = await t.query('nexus_etl', 'SELECT kind, status FROM nexus.backup_run ORDER BY run_id');
  assert.deepEqual(runs, [
    { kind: 'dump', status: 'ok' },
    { kind: 'retention', status: 'ok' },
    { kind: 'files', status: 'ok' },
    { kind: 'restore_test', status: 'ok' },
    { kind: 'config', status: 'ok' },
    { kind: 'offsite', status: 'ok' },
  ]);
  const [dump] = listDumps(path.join(nas, 'dumps'));
  assert.ok(dump);
  // The offsite mirror holds the same bytes, and the configuration history.
  assert.deepEqual(readFileSync(path.join(dir, 'offsite', 'dumps', path.basename(dump.dumpFile))), readFileSync(dump.dumpFile));
  assert.ok(existsSync(path.join(dir, 'offsite', 'config.git', 'HEAD')));
});
