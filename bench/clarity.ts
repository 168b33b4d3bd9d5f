// npm run bench:clarity — Clarity's engine against PostgreSQL, same run.
//
// 1. Fill mart_analytics.sessions with S sessions (200 devices in 4 groups,
//    330 days) and the smaller marts to match, straight into a scratch
//    database with generate_series (the marts are what Clarity reads).
// 2. Copy the marts into Clarity's DuckDB file through clarity_reader (full).
// 3. Every chart of both built-in dashboards, as a dashboard opens (no
//    filters) and with the date and group filters: median latency in DuckDB
//    vs the same SQL in PostgreSQL (as clarity_reader). Target: ≥ 10×.
// 4. Refresh cost after a delta of 10k new sessions (incremental copy).
//
//   NEXUS_BENCH_SESSIONS (10000000) NEXUS_BENCH_ROUNDS (3) NEXUS_BENCH_DELTA (10000)

import { Engine } from '../src/clarity/engine.ts';
import { clarityPaths } from '../src/clarity/paths.ts';
import { refreshMarts } from '../src/clarity/refresh.ts';
import { runQuery } from '../src/clarity/query.ts';
import { BUILTIN_DASHBOARDS } from '../src/clarity/builtin.ts';
import { FILTER_PARAMS, type Filters } from '../src/clarity/dashboards.ts';
import { barChart, benchEnv, median, progress, recordResults } from './lib.ts';

const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
// Benchmarks are run by hand; these knobs are read here, as the CLI does for settings.
const SESSIONS = num(process.env.NEXUS_BENCH_SESSIONS, 10_000_000);
const ROUNDS = num(process.env.NEXUS_BENCH_ROUNDS, 3);
const DELTA = num(process.env.NEXUS_BENCH_DELTA, 10_000);
const DEVICES = 200;
const DAYS = 330;
const CHUNK = 1_000_000;

const env = await benchEnv();
const admin = env.db.pool('admin', 2);
const dev = (expr: string) => `('00000000-0000-7000-8000-' || lpad(to_hex(${expr}), 12, '0'))::uuid`;

function sessionsSql(): string {
  return `INSERT INTO mart_analytics.sessions (session_id, version, patient_id, device_id, groups, source_name, session_date, started_at, ended_at,
      session_type, session_status, duration_minutes, clinician, form_id, pulse_bpm, systolic_mmhg, spo2_pct, temperature_c, document_count, image_count, app_version, received_at)
    SELECT ('00000000-0000-7000-b000-' || lpad(to_hex(g), 12, '0'))::uuid, g, ('00000000-0000-7000-a000-' || lpad(to_hex(1 + (g * 7919) % 1000000), 12, '0'))::uuid,
      ${dev(`g % ${DEVICES}`)}, ARRAY['group-' || (g % ${DEVICES}) % 4], 'field', date '2026-01-01' + (g % ${DAYS})::int,
      timestamptz '2026-01-01' + (g % ${DAYS}) * interval '1 day' + (g % 600) * interval '1 minute',
      timestamptz '2026-01-01' + (g % ${DAYS}) * interval '1 day' + (g % 600 + 20 + g % 40) * interval '1 minute',
      (ARRAY['home_visit','clinic_visit','phone_call','therapy','assessment'])[1 + g % 5], (ARRAY['completed','completed','completed','cancelled','planned'])[1 + (g / 7) % 5],
      20 + g % 40, 'nurse-' || (g % 40), 'visit-standard', 55 + g % 60, 100 + g % 80, 88 + g % 12, 36.5, g % 3, g % 2, '3.4.1',
      timestamptz '2026-01-01' + (g % ${DAYS}) * interval '1 day' + interval '12 hours'
    FROM generate_series($1::bigint, $2::bigint) AS g`;
}

const t0 = Date.now();
process.stderr.write(`filling mart_analytics.sessions with ${SESSIONS} rows…\n`);
await admin.query('DROP INDEX mart_analytics.sessions_loaded, mart_analytics.sessions_date_device');
const tick = progress('sessions', SESSIONS);
for (let from = 1; from <= SESSIONS; from += CHUNK) {
  await admin.query(sessionsSql(), [from, Math.min(SESSIONS, from + CHUNK - 1)]);
  tick(Math.min(SESSIONS, from + CHUNK - 1));
}
await admin.query('CREATE INDEX sessions_loaded ON mart_analytics.sessions (loaded_txid)');
await admin.query('CREATE INDEX sessions_date_device ON mart_analytics.sessions (session_date, device_id)');
await admin.query(`INSERT INTO mart_ops.device_status (device_id, device_name, groups, app_version, first_seen_at, last_seen_at, last_push_at, last_pull_at, last_seq, push_count, pull_count, op_count, rejected_count, error_count, conflict_count)
  SELECT ${dev('d')}, 'ipad-' || lpad(d::text, 3, '0'), ARRAY['group-' || d % 4], '3.4.1', timestamptz '2026-01-01', now() - d * interval '1 hour', now() - d * interval '1 hour', now() - d * interval '1 hour',
         d * 1000, 4 * ${DAYS}, 8 * ${DAYS}, 50 * ${DAYS}, d % 7, d % 3, d % 5 FROM generate_series(0, ${DEVICES - 1}) d`);
await admin.query(`INSERT INTO mart_ops.device_sync_daily SELECT ${dev('d')}, date '2026-01-01' + day, 4, 8, 50, 48, 1, (d + day) % 3, 120, (d * day) % 2, 50000, 900, d * 1000 + day
  FROM generate_series(0, ${DEVICES - 1}) d, generate_series(0, ${DAYS - 1}) day`);
await admin.query(`INSERT INTO mart_analytics.events_daily SELECT date '2026-01-01' + day, t, 'field', ${dev('d')}, 10 + (d + day) % 7, 11, 9, 1000000
  FROM generate_series(0, ${DEVICES - 1}) d, generate_series(0, ${DAYS - 1}) day, unnest(ARRAY['document', 'image']) t`);
await admin.query(`INSERT INTO mart_analytics.measures_daily SELECT date '2026-01-01' + day, ${dev('d')}, m.measure, 150, 150 * m.mid, m.mid - 20, m.mid + 30, m.lo, m.hi, (d + day) % 20
  FROM generate_series(0, ${DEVICES - 1}) d, generate_series(0, ${DAYS - 1}) day,
       (VALUES ('pulse_bpm', 80, 50, 110), ('systolic_mmhg', 130, 90, 160), ('spo2_pct', 95, 92, 100)) AS m(measure, mid, lo, hi)`);
await admin.query(`INSERT INTO mart_ops.conflicts SELECT g, 'patient', gen_random_uuid(), gen_random_uuid(), ${dev(`g % ${DEVICES}`)}, g - 2, g - 1, ${dev(`(g + 1) % ${DEVICES}`)},
  timestamptz '2026-01-01' + (g % ${DAYS}) * interval '1 day', date '2026-01-01' + (g % ${DAYS})::int FROM generate_series(1, 10000) g`);
await admin.query(`INSERT INTO mart_ops.quarantine SELECT g, 'dim_entity', 'sync_inbound', g, 'invalid_birth_date', 'birth_date is not a date', timestamptz '2026-01-01' + (g % ${DAYS}) * interval '1 day', '{}'
  FROM generate_series(1, 1000) g`);
await admin.query('VACUUM ANALYZE');
const fillMs = Date.now() - t0;
process.stderr.write(`filled in ${Math.round(fillMs / 1000)} s; copying into DuckDB…\n`);

const engine = await Engine.open(clarityPaths(env.home), { memoryLimit: '4GB' });
const full = await refreshMarts(engine, env.db);
process.stderr.write(`full copy: ${Math.round(full.ms / 1000)} s\n`);

/** The chart's DuckDB SQL in PostgreSQL's dialect, with positional typed parameters. */
function toPostgres(sql: string, values: Record<string, unknown>): { text: string; params: unknown[] } {
  const names: string[] = [];
  const text = sql
    .replace(/list_contains\(([\w.]+), (\$\w+)\)/g, '$2 = ANY($1)')
    .replace(/INTERVAL 1 DAY/g, "INTERVAL '1 day'")
    .replace(/\bepoch\(/g, 'extract(epoch FROM ')
    .replace(/\$(\w+)/g, (_m, n: string) => {
      if (!names.includes(n)) names.push(n);
      const type = FILTER_PARAMS.find((p) => p.name === n)?.type === 'date' ? 'date' : 'text';
      return `$${names.indexOf(n) + 1}::${type}`;
    });
  return { text, params: names.map((n) => (values[n] === undefined ? null : values[n])) };
}

const scenarios: Array<{ name: string; filters: Filters }> = [
  { name: 'open (no filters)', filters: {} },
  { name: 'last 90 days, one group', filters: { date_from: '2026-08-28', date_to: '2026-11-26', group_name: 'group-1' } },
];
const reader = await env.db.connect('clarity_reader');
await reader.query("SET TimeZone = 'UTC'");
const lines: string[] = [];
const bars: Array<{ label: string; value: number }> = [];
let duckTotal = 0;
let pgTotal = 0;
for (const sc of scenarios) {
  lines.push(`### ${sc.name}`, '', '| dashboard · chart | DuckDB median ms | PostgreSQL median ms | ratio |', '|---|---:|---:|---:|');
  for (const d of BUILTIN_DASHBOARDS) {
    for (const c of d.charts) {
      const values = { ...sc.filters };
      const duck: number[] = [];
      const pgms: number[] = [];
      const pgq = toPostgres(c.sql, values);
      let duckRows = 0;
      let pgRows = 0;
      for (let r = 0; r <= ROUNDS; r++) {
        let s = performance.now();
        duckRows = (await runQuery(engine, { sql: c.sql, params: FILTER_PARAMS, values }, 100_000)).rows.length;
        if (r) duck.push(performance.now() - s);
        s = performance.now();
        pgRows = (await reader.query(pgq.text, pgq.params)).rowCount ?? 0;
        if (r) pgms.push(performance.now() - s);
      }
      if (duckRows !== pgRows && c.filters.length) process.stderr.write(`  note: ${c.id}: ${duckRows} rows in DuckDB, ${pgRows} in PostgreSQL\n`);
      const dm = median(duck);
      const pm = median(pgms);
      duckTotal += dm;
      pgTotal += pm;
      lines.push(`| ${d.title} · ${c.title} | ${dm.toFixed(1)} | ${pm.toFixed(1)} | ${(pm / dm).toFixed(1)}× |`);
      process.stderr.write(`  ${sc.name} · ${c.id}: DuckDB ${dm.toFixed(1)} ms, PostgreSQL ${pm.toFixed(1)} ms\n`);
    }
  }
  lines.push('');
}
await reader.end();
bars.push({ label: 'DuckDB (all charts, both dashboards, both scenarios)', value: Math.round(duckTotal) }, { label: 'PostgreSQL (same queries)', value: Math.round(pgTotal) });

// Refresh cost after a delta.
await admin.query(sessionsSql(), [SESSIONS + 1, SESSIONS + DELTA]);
const delta = await refreshMarts(engine, env.db);
const deltaSessions = delta.tables.find((x) => x.schema === 'mart_analytics' && x.table === 'sessions')!;

const ratio = pgTotal / duckTotal;
const summary = [
  `Data: ${SESSIONS.toLocaleString('en')} sessions (${DEVICES} devices, ${DAYS} days) plus the smaller marts; filled in ${Math.round(fillMs / 1000)} s.`,
  `Full copy of the marts into DuckDB through clarity_reader: ${(full.ms / 1000).toFixed(1)} s (${full.tables.reduce((n, t) => n + t.rows, 0).toLocaleString('en')} rows).`,
  `Dashboard queries, sum of per-chart medians over ${ROUNDS} rounds after a warm-up: DuckDB ${Math.round(duckTotal)} ms, PostgreSQL ${Math.round(pgTotal)} ms — **${ratio.toFixed(1)}× faster** in Clarity's engine (target ≥ 10×).`,
  `Refresh after a delta of ${DELTA.toLocaleString('en')} new sessions: ${(delta.ms / 1000).toFixed(2)} s (sessions: ${deltaSessions.mode}, ${deltaSessions.copied} rows copied) vs ${(full.ms / 1000).toFixed(1)} s for the full copy.`,
  '',
];
process.stdout.write(summary.join('\n') + '\n');
const chart = barChart('clarity.svg', `Clarity dashboards over ${SESSIONS.toLocaleString('en')} sessions: total of chart medians`, 'ms', bars);
recordResults('Clarity: dashboards in DuckDB vs PostgreSQL', 'npm run bench:clarity', [...summary, ...lines], chart);
engine.close();
await env.close();
