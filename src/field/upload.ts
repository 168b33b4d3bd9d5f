// Attachment bytes the server lacks (push's missing_files): PUT for small
// files, tus above a threshold. A tus upload's URL is kept in
// uploads/<sha256>.json as soon as the server assigns it, so an interrupted
// upload (bad link, crash) resumes from the server's offset instead of
// starting over. A permanent refusal (too large, wrong type, hash mismatch,
// bytes gone from the device) is recorded in deadletter/file-<sha256>.json
// and the push goes on; network trouble ends the sync with the op still in
// the outbox, so the next push lists the file as missing again.

import { type PushOp } from '../protocol/index.ts';
import { httpError, type Api } from './api.ts';
import { backoffDelay, sleep } from './backoff.ts';
import { FieldError } from './errors.ts';
import { readJson, writeJson } from './fs.ts';
import { entityPath, isFileEntity, uploadStatePath } from './layout.ts';
import { deadFile } from './outbox.ts';
import type { FieldDevice } from './device.ts';
import type { PushStats } from './push.ts';

export interface UploadOptions {
  /** Files larger than this go through tus (default 8 MiB). */
  tusThreshold?: number;
  /** tus PATCH size (default 4 MiB). */
  tusChunkSize?: number;
}

export const DEFAULT_TUS_THRESHOLD = 8 * 1024 * 1024;

async function putFile(api: Api, sha: string, contentType: string, bytes: Uint8Array): Promise<void> {
  const res = await api.call({ method: 'PUT', path: `/v1/files/${sha}`, body: bytes, headers: { 'content-type': contentType } });
  if (res.status !== 200 && res.status !== 201) throw httpError(res, `upload of ${sha}`);
}

async function tusFile(dev: FieldDevice, api: Api, sha: string, contentType: string, bytes: Uint8Array, opts: UploadOptions): Promise<void> {
  const statePath = uploadStatePath(sha);
  let renewed = false;
  for (let attempt = 0; ; attempt++) {
    const saved = await readJson<{ url: string }>(dev.fs, statePath);
    await api.accessToken();
    const res = await api.http.tusUpload({
      endpoint: `${api.endpoints.syncUrl}/v1/uploads`,
      uploadUrl: saved?.url ?? null,
      bytes,
      metadata: { sha256: sha, content_type: contentType },
      headers: () => ({ authorization: `Bearer ${api.currentToken() ?? ''}`, 'nexus-protocol': '1' }),
      chunkSize: opts.tusChunkSize ?? 4 * 1024 * 1024,
      onUploadUrl: (url) => writeJson(dev.fs, statePath, { url, sha256: sha, started_at: new Date().toISOString() }),
    });
    api.stats.requests++;
    if (res.ok) {
      await dev.fs.remove(statePath);
      return;
    }
    if (res.status === 401 && !renewed) {
      renewed = true;
      api.dropToken();
      continue;
    }
    if (saved && (res.status === 404 || res.status === 410)) {
      await dev.fs.remove(statePath); // the server forgot the upload: start a new one
      continue;
    }
    if (res.status !== 0 && res.status < 500 && res.status !== 429) {
      let code = `http_${res.status}`;
      try {
        code = (JSON.parse(res.body) as { code?: string }).code ?? code;
      } catch { /* tus answers are not always JSON */ }
      throw new FieldError(code, `tus upload of ${sha}: ${res.status} ${res.body.slice(0, 200)}`, { status: res.status });
    }
    if (attempt + 1 >= api.retry.attempts) throw new FieldError('network_unavailable', `tus upload of ${sha} failed: ${res.status} ${res.body.slice(0, 200)}`);
    api.stats.retries++;
    await (api.retry.sleep ?? sleep)(backoffDelay(api.retry, attempt));
  }
}

export async function uploadMissing(dev: FieldDevice, api: Api, ops: PushOp[], missing: string[], stats: PushStats, opts: UploadOptions): Promise<void> {
  for (const sha of new Set(missing)) {
    const op = ops.find((o) => isFileEntity(o.entity) && o.payload.sha256 === sha);
    if (!op) continue;
    const contentType = String(op.payload.content_type);
    const bytes = await dev.fs.read(entityPath(op.entity, op.patient_id, op.entity_id));
    try {
      if (!bytes) throw new FieldError('local_file_missing', `the bytes of ${sha} are no longer on this device`);
      if (bytes.byteLength > (opts.tusThreshold ?? DEFAULT_TUS_THRESHOLD)) await tusFile(dev, api, sha, contentType, bytes, opts);
      else await putFile(api, sha, contentType, bytes);
      stats.uploaded++;
      stats.uploadedBytes += bytes.byteLength;
    } catch (err) {
      if (err instanceof FieldError && (err.code === 'network_unavailable' || (err.status !== undefined && err.status >= 500) || err.status === 401)) throw err;
      await deadFile(dev.fs, op, { code: err instanceof FieldError ? err.code : 'upload_failed', message: (err as Error).message });
      stats.uploadFailures++;
    }
  }
}
