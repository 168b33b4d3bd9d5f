// Every health check, in report order.

import type { Check } from '../types.ts';
import { connectionSaturation, databaseReachable, longTransactions } from './database.ts';
import { replicationLag, walArchiver } from './archiver.ts';
import { diskFree } from './disk.ts';
import { backupAges } from './backups.ts';
import { tlsExpiry } from './tls.ts';
import { endpointHealth } from './endpoints.ts';
import { gateReachable } from './gate.ts';
import { etlFreshness, silentDevices } from './pipeline.ts';

export const CHECKS: Array<{ name: string; run: Check }> = [
  { name: 'database', run: databaseReachable },
  { name: 'connections', run: connectionSaturation },
  { name: 'long_transactions', run: longTransactions },
  { name: 'wal_archiver', run: walArchiver },
  { name: 'replication', run: replicationLag },
  { name: 'disk', run: diskFree },
  { name: 'backups', run: backupAges },
  { name: 'tls_certificate', run: tlsExpiry },
  { name: 'endpoints', run: endpointHealth },
  { name: 'gate_reachable', run: gateReachable },
  { name: 'etl', run: etlFreshness },
  { name: 'devices_silent', run: silentDevices },
];
