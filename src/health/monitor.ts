// One health round: run the checks, store them with history, queue and send
// alerts. Shared by the service (every NEXUS_HEALTH_INTERVAL_SECONDS) and
// tests.

import type { Settings } from '../core/settings.ts';
import type { DbAccess } from '../db/connection.ts';
import { runChecks } from './runner.ts';
import { history, storeResults } from './store.ts';
import { deliverAlerts } from './deliver.ts';
import type { Check, CheckContext, CheckResult } from './types.ts';

export function checkContext(settings: Settings, db: DbAccess, endpoints: Readonly<Record<string, string>>, now = new Date()): CheckContext {
  return { settings, db, endpoints, now, history: (name, since) => history(db, name, since) };
}

export interface Round {
  at: Date;
  results: CheckResult[];
  alerts: CheckResult[];
  delivered: number;
}

export async function healthRound(settings: Settings, db: DbAccess, endpoints: Readonly<Record<string, string>>, checks?: Array<{ name: string; run: Check }>, now = new Date()): Promise<Round> {
  const results = await runChecks(checkContext(settings, db, endpoints, now), checks);
  const alerts = await storeResults(db, results, now, settings.alertCooldownMinutes * 60_000);
  const { delivered } = await deliverAlerts(db, settings);
  return { at: now, results, alerts, delivered };
}
