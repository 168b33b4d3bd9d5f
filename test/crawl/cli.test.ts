// `nexus crawl list|run|status` through the real CLI with sources in
// NEXUS_CRAWL_DIR, and the crawl service on the shared job queue, connected
// as nexus_crawl: its crontab entries are registered and a queued job crawls.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testDatabase, testHome } from '../helpers/db.ts';
import { clusterSettingsEnv } from '../helpers/cluster-env.ts';
import { nexus, waitFor } from '../helpers/cli.ts';
import { loadSettings } from '../../src/core/settings.ts';
import { createLogger } from '../../src/core/log.ts';
import { crawlService } from '../../src/crawl/service.ts';
import { startWorld, json } from './world.ts';
import { scratchDir } from '../imports/files.ts';

const t = await testDatabase();
const world = await startWorld();
world.routes.set('/robots.txt', (_req, res) => res.writeHead(200).end('User-agent: *\nDisallow: /secret\n'));
world.routes.set('/sites', (_req, res) => json(res, [{ id: 'north' }, { id: 'south' }]));
world.routes.set('/feed', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end('<rss><channel><item><guid>1</guid></item></channel></rss>'));

const dir = path.join(scratchDir(), 'crawl.d');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'sites.yaml'), `kind: json_api\nurl: ${world.base}/sites\nschedule: "*/15 * * * *"\ndescription: Sites\nentity:\n  type: site\n  key: id\nlimits:\n  rate_per_second: 50\n`);
writeFileSync(path.join(dir, 'news.json'), JSON.stringify({ name: 'news', kind: 'feed', url: `${world.base}/feed` }));
writeFileSync(path.join(dir, 'secret.yml'), `kind: json_api\nurl: ${world.base}/secret\nlimits: { retries: 0 }\n`);
const env = { ...clusterSettingsEnv(testHome(), t.name), NEXUS_CRAWL_DIR: dir };

test('list, run and status', async () => {
  const list = await nexus(['crawl', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^news\s+feed\s+manual\s+http/m);
  assert.match(list.stdout, /^sites\s+json_api\s+\*\/15 \* \* \* \*/m);

  const run = await nexus(['crawl', 'run', 'sites'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^ok sites: 1 page\(s\), 1 new/);
  const denied = await nexus(['crawl', 'run', 'secret'], env);
  assert.equal(denied.code, 1);
  assert.match(denied.stdout, /crawl_robots_disallowed/);
  const unknown = await nexus(['crawl', 'run', 'nope'], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /No crawl source "nope"/);

  const status = JSON.parse((await nexus(['crawl', 'status', '--json'], env)).stdout) as Array<{ source: string; last_status: string | null; stored_rows: number; last_error_code: string | null }>;
  const by = Object.fromEntries(status.map((s) => [s.source, s]));
  assert.deepEqual([by.sites!.last_status, by.sites!.stored_rows], ['ok', 1]);
  assert.deepEqual([by.secret!.last_status, by.secret!.last_error_code], ['failed', 'crawl_robots_disallowed']);
  assert.equal(by.news!.last_status, null);
});

test('a source file with a mistake is reported with its name and field', async () => {
  const bad = path.join(scratchDir(), 'bad.d');
  mkdirSync(bad, { recursive: true });
  writeFileSync(path.join(bad, 'oops.yaml'), 'kind: json_api\nurl: ftp://example.org/x\n');
  const r = await nexus(['crawl', 'list'], { ...env, NEXUS_CRAWL_DIR: bad });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /oops\.yaml: \/url: /);
  writeFileSync(path.join(bad, 'oops.yaml'), 'kind: feed\nurl: http://127.0.0.1:1/x\nschedule: "every day"\n');
  const cron = await nexus(['crawl', 'list'], { ...env, NEXUS_CRAWL_DIR: bad });
  assert.match(cron.stderr, /schedule "every day" is not a 5-field cron expression/);
});

test('the crawl service: crontab entries per scheduled source, and a queued job crawls as nexus_crawl; a broken file is skipped', async (t2) => {
  writeFileSync(path.join(dir, 'broken.yaml'), 'kind: nope\nurl: http://127.0.0.1:1/\n');
  const settings = loadSettings(env, testHome());
  const running = await crawlService.start({ settings, log: createLogger('silent'), db: t.db, endpoints: {} });
  t2.after(() => running.stop());
  const crons = await waitFor('crontab registered', async () => {
    const rows = await t.query<{ identifier: string }>('admin', 'SELECT identifier FROM graphile_worker._private_known_crontabs ORDER BY 1');
    return rows.some((r) => r.identifier === 'crawl:sites') ? rows.map((r) => r.identifier) : undefined;
  }, 20_000);
  assert.ok(!crons.includes('crawl:news'), 'a source without a schedule has no crontab entry');
  await t.query('admin', `SELECT graphile_worker.add_job('crawl_source', '{"source":"news"}'::json)`);
  await waitFor('the feed crawled', async () => {
    const rows = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM staging.crawl_raw WHERE source = 'news'");
    return rows[0]!.n === 1 ? true : undefined;
  }, 20_000);
  const [run] = await t.query<{ worker: string; status: string }>('admin', "SELECT worker, status FROM nexus.crawl_runs WHERE source = 'news'");
  assert.equal(run!.status, 'ok');
  assert.match(run!.worker, /:\d+$/);
  const [etl] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'etl_staging'");
  assert.equal(etl!.n, 1, 'new data asked for an ETL run');
});
