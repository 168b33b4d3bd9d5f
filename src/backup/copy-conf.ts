// A physical copy (base backup, replica) started as an embedded cluster
// needs config files in its data folder. Clusters made by initdb (the
// embedded one) have them; Debian and Ubuntu keep them in /etc/postgresql,
// so a copy of such a server has none: give it minimal ones, local only.

import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function ensureConfigFiles(dataDir: string): void {
  const conf = path.join(dataDir, 'postgresql.conf');
  if (!existsSync(conf)) writeFileSync(conf, "# Written by nexus for a copy of a server whose config lives elsewhere.\ninclude_if_exists = 'nexus.conf'\n");
  const hba = path.join(dataDir, 'pg_hba.conf');
  if (!existsSync(hba)) writeFileSync(hba, 'host all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n');
  const ident = path.join(dataDir, 'pg_ident.conf');
  if (!existsSync(ident)) writeFileSync(ident, '');
}
