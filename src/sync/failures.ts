// Database trouble a device should retry (server unreachable, starting,
// out of connections) becomes a 503 with its code; anything else stays an
// internal error whose details only the log sees (never SQL in a response).

import { isNexusError, toNexusError, type NexusError } from '../core/errors.ts';
import { mapPgError } from '../db/errors.ts';

export function asServiceError(err: unknown): NexusError {
  if (isNexusError(err)) return err;
  const mapped = mapPgError(err);
  return mapped.status === 503 ? mapped : toNexusError(err);
}
