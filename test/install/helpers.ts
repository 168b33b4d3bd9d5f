// A scratch root shaped like a fresh Ubuntu server after `apt-get install
// postgresql nodejs`, the checkout in /opt/nexus and the accounts `nexus install` makes: the
// distribution's pg_hba.conf and systemd units, /usr/bin/node, /etc/passwd
// and /etc/group with nexus, postgres and nexus-admin.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scratch } from '../backup/helpers.ts';

export const IDS = { nexus: 990, postgres: 991, admin: 992 };
const HOST_HBA = '/etc/postgresql/15/main/pg_hba.conf';

/** A root as a fresh Ubuntu with PostgreSQL and Node installed and the accounts made. */
export function freshServer(): string {
  const root = path.join(scratch('install'), 'root');
  if (!existsSync(HOST_HBA)) assert.fail(`${HOST_HBA} is missing: the postgresql package (scripts/debian-packages.txt) provides it`);
  mkdirSync(`${root}/etc/postgresql/16/main/conf.d`, { recursive: true });
  cpSync(HOST_HBA, `${root}/etc/postgresql/16/main/pg_hba.conf`);
  cpSync('/usr/lib/systemd/system', `${root}/usr/lib/systemd/system`, { recursive: true, verbatimSymlinks: true });
  mkdirSync(`${root}/usr/bin`, { recursive: true });
  mkdirSync(`${root}/opt/nexus/bin`, { recursive: true });
  writeFileSync(`${root}/opt/nexus/bin/nexus.js`, '// the release checkout of docs/operations.md §1.2 (a placeholder: nothing runs it here)\n');
  writeFileSync(`${root}/usr/bin/node`, '#!/bin/sh\n# stands in for Node.js: systemd-analyze only checks that ExecStart is executable\n', { mode: 0o755 });
  writeFileSync(`${root}/etc/passwd`, `root:x:0:0:root:/root:/bin/bash\npostgres:x:${IDS.postgres}:${IDS.postgres}::/var/lib/postgresql:/bin/bash\nnexus:x:${IDS.nexus}:${IDS.nexus}::/var/lib/nexus:/usr/sbin/nologin\n`);
  writeFileSync(`${root}/etc/group`, `root:x:0:\npostgres:x:${IDS.postgres}:\nnexus:x:${IDS.nexus}:postgres\nnexus-admin:x:${IDS.admin}:\n`);
  return root;
}

