// Crawled and imported data through the ETL: sources with their declared
// description and configuration in dim_source, reference entities as SCD2
// rows in dim_entity, every record an event in fact_events, and what does
// not conform in quarantine. A full rebuild gives the same warehouse.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../helpers/db.ts';
import { settle } from '../helpers/etl.ts';
import { layerChecksums } from '../helpers/checksum.ts';
import { crawlSource } from '../../src/crawl/crawl.ts';
import { importFile } from '../../src/imports/importer.ts';
import { startWorld, source, json } from './world.ts';
import { file } from '../imports/files.ts';

const t = await testDatabase();
const world = await startWorld();

let clinics: unknown[] = [];
world.routes.set('/clinics', (_req, res) => json(res, { data: clinics }));
const clinicSource = source('clinics', {
  kind: 'json_api', url: `${world.base}/clinics`, records_path: 'data', description: 'Clinics of the region',
  entity: { type: 'clinic', key: 'code' }, time_field: 'updated',
});

test('crawled records become clinic entities (SCD2) and crawl events; bad ones are quarantined', async () => {
  clinics = [
    { code: 'C1', name: 'North', updated: '2026-11-01T10:00:00Z' },
    { code: 'C2', name: 'South', updated: 'Tue, 10 Nov 2026 04:00:00 GMT' },
    { name: 'no code', updated: '2026-11-02' },
    'not an object',
    { code: 'C3', name: 'East', updated: 'yesterday' },
  ];
  assert.equal((await crawlSource(t.db, clinicSource)).stored, 1);
  world.routes.set('/garbage', (_req, res) => json(res, { data: 1 }));
  await crawlSource(t.db, source('garbage', { kind: 'json_api', url: `${world.base}/garbage`, records_path: 'data' }));
  await settle(t);

  const [src] = await t.query<{ source_kind: string; description: string; config: Record<string, unknown> }>('admin', "SELECT source_kind, description, config FROM warehouse.dim_source WHERE source_name = 'clinics'");
  assert.equal(src!.source_kind, 'crawl');
  assert.equal(src!.description, 'Clinics of the region');
  assert.equal(src!.config.entity_type, 'clinic');
  assert.equal(src!.config.kind, 'json_api');

  const entities = await t.query<{ natural_key: string; name: string; is_current: boolean }>('admin', "SELECT natural_key, payload ->> 'name' AS name, is_current FROM warehouse.dim_entity WHERE entity_type = 'clinic' ORDER BY natural_key");
  assert.deepEqual(entities, [{ natural_key: 'C1', name: 'North', is_current: true }, { natural_key: 'C2', name: 'South', is_current: true }, { natural_key: 'C3', name: 'East', is_current: true }]);

  const events = await t.query<{ record_index: number; occurred_at: Date; bound: boolean }>('admin',
    "SELECT record_index, occurred_at, entity_key IS NOT NULL AS bound FROM warehouse.fact_events WHERE event_type = 'crawl' AND staging_table = 'crawl_raw' ORDER BY record_index");
  assert.deepEqual(events.map((e) => [e.record_index, e.occurred_at.toISOString(), e.bound]), [
    [0, '2026-11-01T10:00:00.000Z', true],
    [1, '2026-11-10T04:00:00.000Z', true],
    [2, '2026-11-02T00:00:00.000Z', false],
  ]);
  const q = await t.query<{ model: string; reason_code: string; record_index: number }>('admin', 'SELECT model, reason_code, record_index FROM warehouse.quarantine ORDER BY model, record_index');
  assert.deepEqual(q.map((r) => [r.model, r.reason_code, r.record_index]), [
    ['dim_entity_reference', 'missing_key', 2],
    ['fct_events_crawl', 'no_records', 0],
    ['fct_events_crawl', 'record_not_object', 3],
    ['fct_events_crawl', 'invalid_occurred_at', 4],
  ]);
});

test('a changed record makes a new version; an unchanged one does not; the declaration follows its file', async () => {
  clinics = [{ code: 'C1', name: 'North (new site)', updated: '2026-11-20T10:00:00Z' }, { code: 'C2', name: 'South', updated: 'Tue, 10 Nov 2026 04:00:00 GMT' }];
  const changed = source('clinics', { kind: 'json_api', url: `${world.base}/clinics`, records_path: 'data', description: 'Clinics (v2)', entity: { type: 'clinic', key: 'code' }, time_field: 'updated' });
  assert.equal((await crawlSource(t.db, changed)).stored, 1);
  await settle(t);
  const c1 = await t.query<{ name: string; is_current: boolean }>('admin', "SELECT payload ->> 'name' AS name, is_current FROM warehouse.dim_entity WHERE entity_type = 'clinic' AND natural_key = 'C1' ORDER BY valid_from");
  assert.deepEqual(c1, [{ name: 'North', is_current: false }, { name: 'North (new site)', is_current: true }]);
  const [c2] = await t.query<{ n: number }>('admin', "SELECT count(*)::int AS n FROM warehouse.dim_entity WHERE entity_type = 'clinic' AND natural_key = 'C2'");
  assert.equal(c2!.n, 1);
  const [src] = await t.query<{ description: string; n: number }>('admin', "SELECT description, (SELECT count(*)::int FROM warehouse.dim_source WHERE source_name = 'clinics') AS n FROM warehouse.dim_source WHERE source_name = 'clinics'");
  assert.deepEqual(src, { description: 'Clinics (v2)', n: 1 });
});

test('imported rows become entities and import events with their file; a bad time field is quarantined', async () => {
  const csv = file('staff.csv', 'staff_id,name,hired\ns1,Ada,2024-03-01\ns2,Bob,soon\n,Nobody,2024-01-01\ns1,Ada B.,2025-01-01\n');
  const s = await importFile(t.db, { file: csv, source: 'staff', entityType: 'staff', keyField: 'staff_id', timeField: 'hired', description: 'HR export' });
  assert.equal(s.rows_loaded, 4);
  await settle(t);
  const staff = await t.query<{ natural_key: string; name: string }>('admin', "SELECT natural_key, payload ->> 'name' AS name FROM warehouse.dim_entity WHERE entity_type = 'staff' AND is_current ORDER BY 1");
  assert.deepEqual(staff, [{ natural_key: 's1', name: 'Ada B.' }, { natural_key: 's2', name: 'Bob' }], 'within one import the last row of a key stands');
  const events = await t.query<{ line: string; file_sha256: string; file_name: string; occurred: string }>('admin',
    `SELECT i.line_number AS line, f.file_sha256, f.file_name, to_char(f.occurred_at, 'YYYY-MM-DD') AS occurred
     FROM warehouse.fact_events f JOIN staging.import_raw i ON i.ingest_id = f.staging_ingest_id
     WHERE f.event_type = 'import' ORDER BY i.line_number`);
  assert.deepEqual(events.map((e) => [Number(e.line), e.occurred]), [[2, '2024-03-01'], [4, '2024-01-01'], [5, '2025-01-01']]);
  assert.ok(events.every((e) => e.file_sha256 === s.file_sha256 && e.file_name === 'staff.csv'));
  const q = await t.query<{ model: string; reason_code: string }>('admin', "SELECT model, reason_code FROM warehouse.quarantine WHERE staging_table = 'import_raw' ORDER BY 1");
  assert.deepEqual(q.map((r) => [r.model, r.reason_code]), [['dim_entity_reference', 'missing_key'], ['fct_events_import', 'invalid_occurred_at']]);
  const [src] = await t.query<{ source_kind: string; description: string }>('admin', "SELECT source_kind, description FROM warehouse.dim_source WHERE source_name = 'staff'");
  assert.deepEqual(src, { source_kind: 'import', description: 'HR export' });
});

test('rerunning a model over old rows changes nothing; a full rebuild gives the same warehouse', async () => {
  const before = await layerChecksums(t);
  await t.query('admin', "DELETE FROM nexus.etl_watermarks WHERE model IN ('dim_entity_reference', 'fct_events_crawl', 'fct_events_import')");
  await settle(t);
  assert.deepEqual(await layerChecksums(t), before);
  await settle(t, { fullRefresh: true });
  assert.deepEqual(await layerChecksums(t), before);
});
