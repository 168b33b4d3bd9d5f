// What a health check is: a small async function that looks at one thing
// and says ok, warn or fail with a message a person can act on, and the
// number behind it when there is one (kept for trends and /metrics).

import type { Settings } from '../core/settings.ts';
import type { DbAccess } from '../db/connection.ts';

export type Status = 'ok' | 'warn' | 'fail';

export const STATUS_LEVEL: Record<Status, number> = { ok: 0, warn: 1, fail: 2 };

export interface CheckResult {
  name: string;
  status: Status;
  message: string;
  value?: number;
}

export interface CheckContext {
  settings: Settings;
  db: DbAccess;
  /** Base URLs of the other services (guardian, sync, …). */
  endpoints: Readonly<Record<string, string>>;
  now: Date;
  /** Earlier values of a check, oldest first, since `since` (from nexus.health_result). */
  history(name: string, since: Date): Promise<Array<{ at: Date; value: number }>>;
}

export type Check = (ctx: CheckContext) => Promise<CheckResult | CheckResult[]>;

export function result(name: string, status: Status, message: string, value?: number): CheckResult {
  return value === undefined || !Number.isFinite(value) ? { name, status, message } : { name, status, message, value };
}

/** ok below `warn`, warn below `fail`, else fail (for "bigger is worse" numbers). */
export function grade(v: number, warn: number, fail: number): Status {
  return v >= fail ? 'fail' : v >= warn ? 'warn' : 'ok';
}
