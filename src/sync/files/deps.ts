// What the file routes need, in the shape the sync server already has
// (settings and the database), plus the device that the /v1 auth hook put on
// the request. One FileStore per DbAccess is shared by the routes, tus and
// push (missing_files), unless the caller hands one in.

import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { NexusError } from '../../core/errors.ts';
import type { Settings } from '../../core/settings.ts';
import type { DbAccess } from '../../db/connection.ts';
import { FileStore } from './store.ts';
import type { FilePolicy } from './policy.ts';
import type { DeviceRef } from './visibility.ts';

export interface FilesDeps {
  settings: Pick<Settings, 'filesDir' | 'fileMaxBytes' | 'fileContentTypes' | 'uploadExpiryHours'>;
  db: DbAccess;
  files?: FileStore;
}

export interface FilesContext {
  store: FileStore;
  policy: FilePolicy;
  /** nexus_sync pool, for the visibility query. */
  pool: pg.Pool;
}

const stores = new WeakMap<DbAccess, FileStore>();

/** The FileStore for these deps (made once per DbAccess). */
export function fileStoreFor(deps: FilesDeps): FileStore {
  if (deps.files) return deps.files;
  let s = stores.get(deps.db);
  if (!s) {
    s = new FileStore(deps.settings.filesDir, deps.db.pool('nexus_sync'));
    stores.set(deps.db, s);
  }
  return s;
}

export function filesContext(deps: FilesDeps): FilesContext {
  return {
    store: fileStoreFor(deps),
    policy: { maxBytes: deps.settings.fileMaxBytes, contentTypes: deps.settings.fileContentTypes },
    pool: deps.db.pool('nexus_sync'),
  };
}

/**
 * The authenticated device. The /v1 auth hook sets `req.device`; reaching a
 * file route without it is a wiring bug, answered like a missing token rather
 * than letting an anonymous request through.
 */
export function deviceOf(req: FastifyRequest): DeviceRef {
  const d = (req as unknown as { device?: Partial<DeviceRef> }).device;
  if (!d || typeof d.deviceId !== 'string' || !Array.isArray(d.groups)) {
    throw new NexusError('unauthorized', 'A bearer token is required.', { status: 401 });
  }
  return { deviceId: d.deviceId, groups: d.groups };
}

/** Route prefix: '' when the caller registers us inside its /v1 scope, '/v1' on a root instance. */
export function v1Base(app: { prefix: string }): string {
  return app.prefix.endsWith('/v1') ? '' : '/v1';
}
