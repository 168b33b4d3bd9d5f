// PostgreSQL and connection errors, mapped once to NexusError codes.

import { NexusError } from '../core/errors.ts';

interface PgLikeError {
  code?: string;
  message?: string;
}

export interface ConnTarget {
  host: string;
  port: number;
  database: string;
  user?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

/** Maps an error from `pg` to a NexusError; `target` names where we tried to go (never the password). */
export function mapPgError(err: unknown, target?: ConnTarget): NexusError {
  if (err instanceof NexusError) return err;
  const e = (err ?? {}) as PgLikeError;
  const where = target ? `PostgreSQL at ${target.host}:${target.port} (database ${target.database})` : 'PostgreSQL';
  if (e.code && NETWORK_CODES.has(e.code)) {
    return new NexusError('db_unreachable', `Cannot reach ${where}: ${e.code}. Check that the server runs and DATABASE_URL (or \`nexus db start\`) is right.`, {
      status: 503,
      cause: err,
    });
  }
  if (/timeout/i.test(e.message ?? '') && !e.code) {
    return new NexusError('db_unreachable', `Cannot reach ${where}: the connection timed out.`, { status: 503, cause: err });
  }
  switch (e.code) {
    case '28P01':
    case '28000':
      return new NexusError('db_auth_failed', `${where} refused the login${target?.user ? ` of role ${target.user}` : ''}; check the credentials in $NEXUS_HOME/secrets or DATABASE_URL.`, {
        status: 503,
        cause: err,
      });
    case '3D000':
      return new NexusError('db_missing', `${where} has no such database; run \`nexus migrate\` or create it.`, { status: 503, cause: err });
    case '42501':
      return new NexusError('db_permission_denied', `Permission denied: ${e.message ?? ''}`, { status: 500, cause: err });
    case '57P01':
    case '57P03':
      return new NexusError('db_unavailable', `${where} is shutting down or starting up; try again shortly.`, { status: 503, cause: err });
    case '53300':
      return new NexusError('db_too_many_connections', `${where} has no free connection slots.`, { status: 503, cause: err });
    default:
      return new NexusError('db_error', `Database error${e.code ? ` ${e.code}` : ''}: ${e.message ?? String(err)}`, { cause: err });
  }
}
