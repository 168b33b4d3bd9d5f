// Configuration history (a commit per change, none without), the offsite
// mirror (rsync, deletions included, work in progress left out), and
// Clarity's state (daily archive, 30 days, the newest always kept).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync, utimesSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { testDatabase } from '../helpers/db.ts';
import { snapshotConfig } from '../../src/backup/config-history.ts';
import { offsiteCopy } from '../../src/backup/offsite.ts';
import { backupClarity } from '../../src/backup/clarity.ts';
import { scratch } from './helpers.ts';

const t = await testDatabase();

test('the configuration is committed when it changes, and only then', async () => {
  const dir = scratch('cfg');
  const etc = path.join(dir, 'etc');
  const repo = path.join(dir, 'nas', 'config.git');
  mkdirSync(etc);
  writeFileSync(path.join(etc, 'nexus.env'), 'NEXUS_HEALTH_PORT=8445\n');
  const first = await snapshotConfig(t.db, etc, repo);
  assert.ok(first);
  assert.equal(await snapshotConfig(t.db, etc, repo), undefined);
  writeFileSync(path.join(etc, 'nexus.env'), 'NEXUS_HEALTH_PORT=9445\n');
  const second = await snapshotConfig(t.db, etc, repo);
  assert.ok(second);
  const log = execFileSync('git', [`--git-dir=${repo}`, 'log', '--format=%H', '-p'], { encoding: 'utf8' });
  assert.match(log, /-NEXUS_HEALTH_PORT=8445\n\+NEXUS_HEALTH_PORT=9445/);
  assert.equal(log.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l)).length, 2);
  assert.equal(await snapshotConfig(t.db, path.join(dir, 'missing'), repo), undefined);
  const runs = await t.query('nexus_etl', "SELECT count(*)::int AS n FROM nexus.backup_run WHERE kind = 'config' AND status = 'ok'");
  assert.deepEqual(runs, [{ n: 2 }]);
});

test('the offsite copy mirrors the target, deletions included, without work in progress', async () => {
  const dir = scratch('off');
  const root = path.join(dir, 'nas');
  const dest = path.join(dir, 'offsite');
  mkdirSync(path.join(root, 'dumps'), { recursive: true });
  mkdirSync(path.join(root, '.drill-abc'), { recursive: true });
  writeFileSync(path.join(root, 'dumps', 'a.dump'), 'a');
  writeFileSync(path.join(root, 'dumps', 'b.dump'), 'b');
  writeFileSync(path.join(root, 'dumps', '.c.dump.partial'), 'c');
  writeFileSync(path.join(root, '.drill-abc', 'x'), 'x');
  const r = await offsiteCopy(t.db, root, dest);
  assert.equal((r.detail as { filesTransferred: number }).filesTransferred, 2);
  assert.deepEqual(readdirSync(path.join(dest, 'dumps')).sort(), ['a.dump', 'b.dump']);
  assert.equal(existsSync(path.join(dest, '.drill-abc')), false);
  rmSync(path.join(root, 'dumps', 'a.dump'));
  await offsiteCopy(t.db, root, dest);
  assert.deepEqual(readdirSync(path.join(dest, 'dumps')), ['b.dump']);
  await assert.rejects(offsiteCopy(t.db, path.join(dir, 'nope'), dest), { code: 'offsite_failed' });
  const alerts = await t.query('nexus_health', "SELECT subject FROM nexus.alert_event WHERE source = 'backup'");
  assert.deepEqual(alerts, [{ subject: 'backup offsite' }]);
});

test("Clarity's state and sources are archived with their sha256; old archives go, never the newest", async () => {
  const dir = scratch('clar');
  const home = path.join(dir, 'home');
  const out = path.join(dir, 'nas', 'clarity');
  mkdirSync(path.join(home, 'clarity', 'state'), { recursive: true });
  mkdirSync(path.join(home, 'clarity', 'sources'), { recursive: true });
  writeFileSync(path.join(home, 'clarity', 'state', 'dashboards.json'), '{"dashboards":[]}');
  writeFileSync(path.join(home, 'clarity', 'sources', 'extra.csv'), 'a,b\n1,2\n');
  writeFileSync(path.join(home, 'clarity', 'clarity.duckdb'), 'rebuildable');
  const old = new Date(Date.now() - 40 * 86_400_000);
  const first = await backupClarity(t.db, home, out, old);
  utimesSync(first.artefact, old, old);
  // Alone, the 40-day-old archive stays; a new one makes it go.
  const second = await backupClarity(t.db, home, out);
  assert.deepEqual(readdirSync(out).sort(), [path.basename(second.artefact), `${path.basename(second.artefact)}.sha256`]);
  const sha = createHash('sha256').update(readFileSync(second.artefact)).digest('hex');
  assert.equal(readFileSync(`${second.artefact}.sha256`, 'utf8'), `${sha}  ${path.basename(second.artefact)}\n`);
  const listing = execFileSync('tar', ['-tzf', second.artefact], { encoding: 'utf8' }).split('\n');
  assert.ok(listing.includes('state/dashboards.json') && listing.includes('sources/extra.csv'));
  assert.equal(listing.some((l) => l.includes('duckdb')), false);
});
