// The database itself: can nexus_health log in, how full are the connection
// slots, and is a transaction holding on for too long (it blocks vacuum and
// can hold locks that stall sync and ETL).

import { grade, result, type Check } from '../types.ts';

export const databaseReachable: Check = async (ctx) => {
  const t0 = Date.now();
  const c = await ctx.db.connect('nexus_health');
  try {
    await c.query('SELECT 1');
  } finally {
    await c.end();
  }
  const ms = Date.now() - t0;
  return result('database', grade(ms, 2_000, 10_000), `PostgreSQL at ${ctx.db.target.host}:${ctx.db.target.port} answered in ${ms} ms`, ms);
};

export const connectionSaturation: Check = async (ctx) => {
  const { rows } = await ctx.db.pool('nexus_health').query<{ used: number; max: number; reserved: number }>(
    `SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used,
            current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int AS reserved`,
  );
  const { used, max, reserved } = rows[0]!;
  const pct = (100 * used) / Math.max(1, max - reserved);
  return result('connections', grade(pct, 80, 95), `${used} of ${max - reserved} connection slots in use (${pct.toFixed(0)}%)`, pct);
};

export const longTransactions: Check = async (ctx) => {
  const limit = ctx.settings.longTransactionMinutes * 60;
  const { rows } = await ctx.db.pool('nexus_health').query<{ secs: number | null; n: number; who: string | null }>(
    `SELECT max(extract(epoch FROM now() - xact_start))::float8 AS secs,
            count(*) FILTER (WHERE now() - xact_start > make_interval(secs => $1))::int AS n,
            (array_agg(usename || ' pid ' || pid ORDER BY xact_start))[1] AS who
       FROM pg_stat_activity WHERE xact_start IS NOT NULL AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    [limit],
  );
  const { secs, n, who } = rows[0]!;
  const s = secs ?? 0;
  if (n === 0) return result('long_transactions', 'ok', `no transaction open longer than ${ctx.settings.longTransactionMinutes} min`, s);
  return result('long_transactions', s > limit * 4 ? 'fail' : 'warn', `${n} transaction(s) open longer than ${ctx.settings.longTransactionMinutes} min; the oldest (${who}) for ${Math.round(s / 60)} min`, s);
};
