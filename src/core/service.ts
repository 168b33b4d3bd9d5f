// What a long-running service looks like to the composition root (src/cli).
// `nexus up` starts every registered service in order and stops them in
// reverse; `nexus <name>` runs one alone, as systemd does in production.

import type { Settings } from './settings.ts';
import type { Logger } from './log.ts';
import type { DbAccess } from '../db/connection.ts';

export interface ServiceContext {
  settings: Settings;
  log: Logger;
  /** Throws `db_not_configured` for a service started without a database. */
  db: DbAccess;
  /** Base URLs published by services started earlier (e.g. `guardian`). */
  endpoints: Readonly<Record<string, string>>;
}

export interface RunningService {
  /** Entries for endpoints.json, e.g. `{ sync: 'https://127.0.0.1:8443' }`. */
  endpoints?: Record<string, string>;
  stop(): Promise<void>;
}

export interface ServiceDefinition {
  name: string;
  description: string;
  /** false for services that run where there is no database (Guardian on the gate). */
  needsDatabase?: boolean;
  start(ctx: ServiceContext): Promise<RunningService>;
}
