// The data path behind the database: does the ETL keep up with what devices
// push, did its last runs pass their data tests, and which devices have gone
// quiet (lost, broken, or out of VPN reach) for NEXUS_DEVICE_SILENT_DAYS.

import { result, type Check } from '../types.ts';

export const etlFreshness: Check = async (ctx) => {
  const pool = ctx.db.pool('nexus_health');
  const { rows: bad } = await pool.query<{ model: string; status: string }>(
    `SELECT DISTINCT ON (model) model, status FROM nexus.etl_runs ORDER BY model, run_id DESC`,
  );
  const failing = bad.filter((r) => r.status === 'failed' || r.status === 'test_failed');
  if (failing.length) return result('etl', 'fail', `last run failed for ${failing.map((f) => `${f.model} (${f.status})`).join(', ')}; see \`nexus etl status\``, failing.length);
  const { rows } = await pool.query<{ pushed: Date | null; processed: Date | null }>(
    `SELECT (SELECT max(last_push_at) FROM nexus.sync_device) AS pushed,
            (SELECT max(started_at) FROM nexus.etl_runs WHERE status = 'ok') AS processed`,
  );
  const { pushed, processed } = rows[0]!;
  if (!pushed || (processed && processed >= pushed)) return result('etl', 'ok', processed ? `ETL ran at ${processed.toISOString()}, after the last push` : 'nothing pushed yet', 0);
  const waited = (ctx.now.getTime() - pushed.getTime()) / 60_000;
  const limit = ctx.settings.etlStaleMinutes;
  const status = waited > 4 * limit ? 'fail' : waited > limit ? 'warn' : 'ok';
  return result('etl', status, `data pushed at ${pushed.toISOString()} has waited ${waited.toFixed(0)} min for the ETL (last good run ${processed?.toISOString() ?? 'never'})`, waited * 60);
};

export const silentDevices: Check = async (ctx) => {
  const days = ctx.settings.deviceSilentDays;
  const { rows } = await ctx.db.pool('nexus_health').query<{ n: number; names: string[] | null }>(
    `SELECT count(*)::int AS n, (array_agg(device_id::text ORDER BY last_seen_at))[1:5] AS names
       FROM nexus.sync_device WHERE last_seen_at < $1::timestamptz - make_interval(days => $2)`,
    [ctx.now, days],
  );
  const { n, names } = rows[0]!;
  if (n === 0) return result('devices_silent', 'ok', `every device was seen within ${days} days`, 0);
  return result('devices_silent', 'warn', `${n} device(s) not seen for ${days}+ days, longest silent first: ${names!.join(', ')}${n > 5 ? ', …' : ''}`, n);
};
