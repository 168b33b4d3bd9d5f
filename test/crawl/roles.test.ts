// Least privilege for the two new doors: the crawler and the importer each
// write their own staging table and bookkeeping, and nothing of the other's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';

const t = await testDatabase();
const denied = (p: Promise<unknown>) => assert.rejects(p, /permission denied/);

test('nexus_crawl and nexus_import keep to their own tables; ETL reads the declarations', async () => {
  const sha = 'a'.repeat(64);
  await t.query('nexus_crawl', "INSERT INTO nexus.crawl_runs (source, started_at, status) VALUES ('s', now(), 'ok')");
  await t.query('nexus_crawl', "INSERT INTO nexus.sources (source_name, source_kind) VALUES ('s', 'crawl')");
  await denied(t.query('nexus_crawl', 'SELECT * FROM nexus.imports'));
  await denied(t.query('nexus_crawl', 'DELETE FROM nexus.crawl_runs'));
  await denied(t.query('nexus_import', 'SELECT * FROM nexus.crawl_state'));
  await denied(t.query('nexus_import', 'INSERT INTO staging.crawl_raw (source, url, http_status, fetched_at, body_sha256, body) VALUES ($1, $2, 200, now(), $3, $4)', ['s', 'u', sha, Buffer.from('x')]));
  await denied(t.query('nexus_import', 'DELETE FROM nexus.imports'));
  await denied(t.query('nexus_crawl', 'SELECT * FROM warehouse.dim_source'));
  assert.equal((await t.query('nexus_etl', 'SELECT source_name FROM nexus.sources')).length, 1);
  await denied(t.query('nexus_etl', "UPDATE nexus.sources SET description = 'x'"));
});
