// npm run bench:etl — the ETL's incremental cost and its throughput.
//
// 1. Fill staging with P patients and S sessions (FIELD_DATA-shaped JSON,
//    200 devices), build the warehouse and mart_field from scratch (full build).
// 2. Land a delta of 10k ops (patient edits and new sessions) and run the
//    incremental build; repeated, median. Target: delta ≤ 5% of the full build.
// 3. Physical floor: a plain INSERT … SELECT of the same staging rows into an
//    unindexed table, in the same run; the ratio of row rates is printed.
//
//   NEXUS_BENCH_PATIENTS (1000000) NEXUS_BENCH_SESSIONS (5000000) NEXUS_BENCH_DELTA (10000) NEXUS_BENCH_ROUNDS (3)

import { runModels } from '../src/etl/runner.ts';
import { loadModels } from '../src/etl/models.ts';
import { barChart, benchEnv, median, progress, recordResults } from './lib.ts';

const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
// Benchmarks are run by hand; these knobs are read here, as the CLI does for settings.
const PATIENTS = num(process.env.NEXUS_BENCH_PATIENTS, 1_000_000);
const SESSIONS = num(process.env.NEXUS_BENCH_SESSIONS, 5_000_000);
const DELTA = num(process.env.NEXUS_BENCH_DELTA, 10_000);
const ROUNDS = num(process.env.NEXUS_BENCH_ROUNDS, 3);
const DEVICES = 200;
const CHUNK = 250_000;

const env = await benchEnv();
const owner = env.db.pool('nexus_owner', 2);

/** Rows g = from..to of one kind, as the sync API would have stored them. */
function landSql(kind: 'patient' | 'session' | 'edit'): string {
  const patient = `('00000000-0000-7000-a000-' || lpad(to_hex(p), 12, '0'))::uuid`;
  const payload = kind === 'session'
    ? `jsonb_build_object('session_id', sid, 'patient_id', ${patient}, 'type', (ARRAY['home_visit','clinic_visit','phone_call','therapy','assessment'])[1 + g % 5],
        'status', 'completed', 'started_at', to_char(timestamptz '2026-01-01' + (g % 330) * interval '1 day' + (g % 600) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'ended_at', to_char(timestamptz '2026-01-01' + (g % 330) * interval '1 day' + (g % 600 + 32) * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'clinician', 'nurse-' || (g % 40), 'form', jsonb_build_object('id', 'visit-standard', 'version', 4),
        'measurements', jsonb_build_object('pulse_bpm', 55 + g % 60, 'systolic_mmhg', 100 + g % 80, 'spo2_pct', 88 + g % 12, 'temperature_c', 36.5),
        'answers', jsonb_build_object('mobility', 'walker'), 'documents', '[]'::jsonb, 'images', '[]'::jsonb, 'app_version', '3.4.1')`
    : `jsonb_build_object('patient_id', ${patient}, 'external_ref', 'KV-' || p, 'first_name', 'Name' || (p % 997), 'last_name', 'Family' || (p % 991),
        'birth_date', to_char(date '1930-01-01' + (p % 25000)::int, 'YYYY-MM-DD'), 'sex', (ARRAY['female','male','diverse'])[1 + p % 3],
        'care_level', p % 6, 'site', (ARRAY['north','south','clinic'])[1 + (p + ${kind === 'edit' ? 'g' : '0'}) % 3], 'tags', '["diabetes"]'::jsonb, 'app_version', '3.4.1')`;
  const ids = kind === 'session'
    ? `g AS g, 1 + (g * 7919) % $3 AS p, ('00000000-0000-7000-b000-' || lpad(to_hex(g), 12, '0'))::uuid AS sid`
    : kind === 'edit' ? `g AS g, 1 + (g * 104729) % $3 AS p, NULL::uuid AS sid` : `g AS g, g + 0 * $3::bigint AS p, NULL::uuid AS sid`;
  const entity = kind === 'session' ? `'session', ${patient}, sid` : `'patient', ${patient}, ${patient}`;
  return `
    INSERT INTO staging.sync_inbound (request_id, device_id, device_groups, seq, op_id, payload_sha256, status, entity, patient_id, entity_id, schema_version, recorded_at, raw)
    SELECT gen_random_uuid(), ('00000000-0000-7000-8000-' || lpad(to_hex(g % ${DEVICES}), 12, '0'))::uuid, '{default}',
           $4::bigint + g / ${DEVICES} + 1, gen_random_uuid()::text, md5(g::text) || md5(payload::text), 'applied', ${entity}, 1, now(),
           jsonb_build_object('op_id', gen_random_uuid(), 'entity', '${kind === 'session' ? 'session' : 'patient'}', 'payload', payload)
    FROM (SELECT *, ${payload} AS payload FROM (SELECT ${ids} FROM generate_series($1::bigint, $2::bigint) AS g) i) x`;
}

/** Each device's seq space: patients, then sessions, then each delta. */
let seqBase = 0;
async function land(kind: 'patient' | 'session' | 'edit', count: number, label: string): Promise<void> {
  const tick = progress(label, count);
  for (let from = 1; from <= count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK - 1);
    await owner.query(landSql(kind), [from, to, PATIENTS, seqBase]);
    tick(to);
  }
  seqBase += Math.ceil(count / DEVICES) + 1;
}

// The field data path of this benchmark: the warehouse and what devices pull.
// Clarity's marts have their own benchmark (bench:clarity).
const MODELS = loadModels().filter((m) => m.kind === 'incremental' && (m.layer === 'warehouse' || m.name.startsWith('mart_field_'))).map((m) => m.name);

async function build(label: string): Promise<number> {
  const t0 = performance.now();
  const res = await runModels(env.db, { models: MODELS });
  const bad = res.filter((r) => r.status !== 'ok');
  if (bad.length) throw new Error(`${label}: ${JSON.stringify(bad)}`);
  const secs = (performance.now() - t0) / 1000;
  process.stderr.write(`  ${label}: ${secs.toFixed(2)} s (${res.map((r) => `${r.model} ${Math.round(r.ms)}ms`).join(', ')})\n`);
  return secs;
}

try {
  process.stderr.write(`staging: ${PATIENTS} patients, ${SESSIONS} sessions from ${DEVICES} devices\n`);
  await land('patient', PATIENTS, 'patients');
  await land('session', SESSIONS, 'sessions');
  await owner.query('VACUUM ANALYZE staging.sync_inbound');
  const stagingRows = PATIENTS + SESSIONS;

  const full = await build('full build (first run over everything)');
  await owner.query('VACUUM ANALYZE');

  const deltas: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    await land('edit', Math.round(DELTA * 0.2), `delta ${r}: patient edits`);
    await land('session', Math.round(DELTA * 0.8), `delta ${r}: sessions`);
    deltas.push(await build(`delta build ${r}`));
  }

  await owner.query('CREATE TABLE public.bench_floor (LIKE staging.sync_inbound)');
  const floors: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    await owner.query('TRUNCATE public.bench_floor');
    const t0 = performance.now();
    await owner.query('INSERT INTO public.bench_floor SELECT * FROM staging.sync_inbound');
    floors.push((performance.now() - t0) / 1000);
  }
  const counts = await owner.query<{ t: string; n: string }>(
    `SELECT 'fact_transactions' AS t, count(*) AS n FROM warehouse.fact_transactions UNION ALL SELECT 'dim_entity', count(*) FROM warehouse.dim_entity UNION ALL SELECT 'mart_field.changes', count(*) FROM mart_field.changes`,
  );
  // Disk per row, indexes and TOAST included: the input of docs/scale.md.
  const sizes = await owner.query<{ t: string; bytes: string; n: string }>(
    `SELECT t, pg_total_relation_size(t::regclass) AS bytes, (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM ' || t, false, true, '')))[1]::text AS n
     FROM unnest(ARRAY['staging.sync_inbound', 'warehouse.dim_entity', 'warehouse.fact_transactions', 'mart_field.changes']) AS t`,
  );
  const perRow = sizes.rows.map((r) => `${r.t} ${Math.round(Number(r.bytes) / Math.max(1, Number(r.n))).toLocaleString('en')} B`).join(', ');
  const deltaRatio = median(deltas) / full;
  const buildRate = stagingRows / full;
  const floorRate = stagingRows / median(floors);
  const lines = [
    `Staging: ${PATIENTS.toLocaleString('en')} patients + ${SESSIONS.toLocaleString('en')} sessions; warehouse after the run: ${counts.rows.map((c) => `${c.t} ${Number(c.n).toLocaleString('en')}`).join(', ')}.`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| full build (staging → warehouse → mart_field) | ${full.toFixed(1)} s | |`,
    `| incremental build of a ${DELTA.toLocaleString('en')}-op delta (median of ${ROUNDS}) | ${median(deltas).toFixed(2)} s | |`,
    `| **delta / full** | **${(100 * deltaRatio).toFixed(2)} %** | ≤ 5 % |`,
    `| full build throughput | ${Math.round(buildRate).toLocaleString('en')} staging rows/s | |`,
    `| plain INSERT … SELECT into an unindexed table (median) | ${Math.round(floorRate).toLocaleString('en')} rows/s | |`,
    `| **build / floor** | **${(buildRate / floorRate).toFixed(3)}** | |`,
    '',
    `Disk per row (indexes included): ${perRow}.`,
  ];
  const chart = barChart('etl.svg', 'ETL: full build vs incremental delta (seconds)', 's', [
    { label: 'full build', value: full },
    { label: `delta ${DELTA} ops`, value: median(deltas) },
    { label: 'INSERT…SELECT floor', value: median(floors) },
  ]);
  process.stdout.write(lines.join('\n') + '\n');
  recordResults('ETL incremental cost and throughput', `npm run bench:etl (NEXUS_BENCH_PATIENTS=${PATIENTS} NEXUS_BENCH_SESSIONS=${SESSIONS})`, lines, chart);
} finally {
  await env.close();
}
