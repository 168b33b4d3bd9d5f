// Database credentials live in $NEXUS_HOME/secrets/database.json (mode 0600),
// never in the repository or the environment of other processes. The file is
// created on first use; role passwords are set from it by bootstrap.ts.

import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureHomeDir, writeFileAtomic } from '../core/files.ts';
import { ROLE_NAMES, type RoleName } from './roles.ts';

export interface DbSecrets {
  /** The embedded cluster's superuser; absent with an external DATABASE_URL. */
  superuser?: { user: string; password: string };
  roles: Record<RoleName, string>;
}

export function secretsFile(home: string): string {
  return path.join(home, 'secrets', 'database.json');
}

function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Reads the secrets, creating (and persisting) whatever is missing. */
export function loadSecrets(home: string, withSuperuser: boolean): DbSecrets {
  const file = secretsFile(home);
  const current: Partial<DbSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const roles = { ...(current.roles ?? {}) } as Record<RoleName, string>;
  let changed = !existsSync(file);
  for (const role of ROLE_NAMES) {
    if (!roles[role]) {
      roles[role] = newPassword();
      changed = true;
    }
  }
  let superuser = current.superuser;
  if (withSuperuser && !superuser) {
    superuser = { user: 'postgres', password: newPassword() };
    changed = true;
  }
  const secrets: DbSecrets = superuser ? { superuser, roles } : { roles };
  if (changed) {
    ensureHomeDir(home);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileAtomic(file, JSON.stringify(secrets, null, 2) + '\n', 0o600);
  }
  return secrets;
}
