// Results with history: every run appends to nexus.health_result (pruned
// after 30 days), updates nexus.health_state, and queues an alert event for
// each check whose status should be reported (alert-policy.ts).

import type { DbAccess } from '../db/connection.ts';
import { shouldAlert, type AlertMemory } from './alert-policy.ts';
import type { CheckResult, Status } from './types.ts';

const HISTORY_DAYS = 30;

export async function history(db: DbAccess, name: string, since: Date): Promise<Array<{ at: Date; value: number }>> {
  const { rows } = await db
    .pool('nexus_health')
    .query<{ at: Date; value: number }>('SELECT checked_at AS at, value FROM nexus.health_result WHERE check_name = $1 AND checked_at >= $2 AND value IS NOT NULL ORDER BY checked_at', [name, since]);
  return rows;
}

/** Stores one run's results; returns the alerts it queued. */
export async function storeResults(db: DbAccess, results: CheckResult[], now: Date, cooldownMs: number): Promise<CheckResult[]> {
  const c = await db.pool('nexus_health').connect();
  const alerts: CheckResult[] = [];
  try {
    await c.query('BEGIN');
    const { rows } = await c.query<{ check_name: string; status: Status; alerted_status: Status; alerted_at: Date | null }>(
      'SELECT check_name, status, alerted_status, alerted_at FROM nexus.health_state FOR UPDATE',
    );
    const prev = new Map(rows.map((r) => [r.check_name, r]));
    for (const r of results) {
      await c.query('INSERT INTO nexus.health_result (checked_at, check_name, status, message, value) VALUES ($1, $2, $3, $4, $5)', [now, r.name, r.status, r.message, r.value ?? null]);
      const p = prev.get(r.name);
      const mem: AlertMemory | undefined = p ? { alertedStatus: p.alerted_status, alertedAt: p.alerted_at } : undefined;
      const alert = shouldAlert(r.status, mem, now, cooldownMs);
      await c.query(
        `INSERT INTO nexus.health_state (check_name, status, message, since, checked_at, alerted_status, alerted_at)
         VALUES ($1, $2, $3, $4, $4, $5, $6)
         ON CONFLICT (check_name) DO UPDATE SET
           since = CASE WHEN health_state.status = EXCLUDED.status THEN health_state.since ELSE EXCLUDED.since END,
           status = EXCLUDED.status, message = EXCLUDED.message, checked_at = EXCLUDED.checked_at,
           alerted_status = CASE WHEN $7 THEN EXCLUDED.alerted_status ELSE health_state.alerted_status END,
           alerted_at = CASE WHEN $7 THEN EXCLUDED.alerted_at ELSE health_state.alerted_at END`,
        [r.name, r.status, r.message, now, alert ? r.status : 'ok', alert ? now : null, alert],
      );
      if (alert) {
        await c.query('INSERT INTO nexus.alert_event (raised_at, source, subject, severity, message) VALUES ($1, $2, $3, $4, $5)', [now, 'health', r.name, r.status, r.message]);
        alerts.push(r);
      }
    }
    await c.query('DELETE FROM nexus.health_result WHERE checked_at < $1', [new Date(now.getTime() - HISTORY_DAYS * 86_400_000)]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
  return alerts;
}
