// One import: hash the file, refuse a file already imported (unless forced),
// then stream its records into staging.import_raw with COPY in a single
// transaction, keeping bad rows out and reporting them with their line
// numbers. The registry row turns 'done' in that same transaction, so an
// import is all there or not at all.

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { from as copyFrom } from 'pg-copy-streams';
import type { DbAccess } from '../db/connection.ts';
import { NexusError } from '../core/errors.ts';
import { formatFor, sniff, type Format } from './formats.ts';
import { readItems, type Reject } from './records.ts';
import { declareImportSource, failImport, finishImport, lockFile, previousImport, startImport, unlockFile, type ImportSourceDecl } from './registry.ts';

/** Bad rows kept for the report and nexus.import_rejects; all of them are counted. */
export const KEPT_REJECTS = 1000;
const FLUSH_BYTES = 256 * 1024;

export interface ImportOptions extends Omit<ImportSourceDecl, 'name'> {
  file: string;
  source: string;
  format?: string;
  sheet?: string;
  force?: boolean;
  /** Shown in the registry instead of the path (uploads land in a temp file). */
  fileName?: string;
  via?: 'cli' | 'http';
  /** XLSX: how long a workbook may stay silent once its file is read (default XLSX_STALL_MS). */
  stallMs?: number;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  bytes: number;
  totalBytes: number;
  rows: number;
  rejected: number;
}

export interface ImportSummary {
  import_id: string;
  source: string;
  file_name: string;
  file_sha256: string;
  format: Format;
  bytes: number;
  rows_loaded: number;
  rows_rejected: number;
  forced: boolean;
  ms: number;
  rejects: Array<{ line: number } & Reject>;
}

export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/**
 * One row in COPY text format after the row's constant columns. JSON never
 * holds raw tabs or newlines, only backslashes to double (most rows have none).
 */
const copyRow = (line: number, json: string) => `${line}\t${json.includes('\\') ? json.replaceAll('\\', '\\\\') : json}\n`;

export async function importFile(db: DbAccess, o: ImportOptions): Promise<ImportSummary> {
  const t0 = performance.now();
  const fileName = o.fileName ?? path.basename(o.file);
  let size: number;
  try {
    const st = await stat(o.file);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    throw new NexusError('import_file_unreadable', `${o.file} cannot be read: ${(err as Error).message}`, { status: 400, exitCode: 2 });
  }
  const format = formatFor(fileName, o.format);
  await sniff(o.file, format, fileName);
  const sha256 = await fileSha256(o.file);
  const importId = randomUUID();

  const c = await db.connect('nexus_import');
  try {
    await declareImportSource(c, { name: o.source, ...pick(o) });
    await lockFile(c, sha256);
    const prev = await previousImport(c, sha256);
    if (prev && !o.force) {
      throw new NexusError('import_duplicate', `${fileName} (sha256 ${sha256.slice(0, 12)}…) was already imported as ${prev.import_id} into "${prev.source}" on ${prev.finished_at.toISOString()}; pass --force to import it again.`, {
        status: 409,
        extra: { import_id: prev.import_id, file_sha256: sha256 },
      });
    }
    await startImport(c, { importId, source: o.source, fileName, sha256, bytes: size, format, forced: !!prev, via: o.via ?? 'cli' });
    let loaded = 0;
    let rejected = 0;
    const rejects: Array<{ line: number; reject: Reject }> = [];
    let input: ReturnType<typeof createReadStream> | undefined;
    let copy: ReturnType<typeof copyFrom> | undefined;
    try {
      await c.query('BEGIN');
      copy = c.query(copyFrom('COPY staging.import_raw (source, import_id, file_sha256, line_number, raw) FROM STDIN'));
      // A COPY the server refuses errors the stream at any moment: kept here and
      // thrown from the loop (unheard, it crashed the process; awaited later, it hung).
      let copyError: Error | undefined;
      copy.on('error', (e: Error) => (copyError ??= e));
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      input = createReadStream(o.file).on('error', (e) => counter.destroy(e));
      input.pipe(counter);
      let pending = '';
      // source, import id and hash, the same on every row (the source name holds no tab or backslash).
      const prefix = `${o.source}\t${importId}\t${sha256}\t`;
      let lastReport = 0;
      const report = () => o.onProgress?.({ bytes, totalBytes: size, rows: loaded, rejected });
      for await (const batch of readItems(counter, format, { ...(o.sheet ? { sheet: o.sheet } : {}), ...(o.stallMs ? { stallMs: o.stallMs } : {}) })) {
        for (const item of batch) {
          if (item.reject) {
            rejected++;
            if (rejects.length < KEPT_REJECTS) rejects.push({ line: item.line, reject: item.reject });
          } else {
            loaded++;
            // Readers give each record its own, increasing line (json-array.ts numbers a one-line array).
            pending += prefix + copyRow(item.line, item.json);
          }
        }
        if (copyError) throw copyError;
        // Back-pressure: wait while the connection's buffer is full.
        if (pending.length >= FLUSH_BYTES) {
          if (!copy.write(pending)) await once(copy, 'drain');
          pending = '';
        }
        if (o.onProgress && Date.now() - lastReport > 200) {
          lastReport = Date.now();
          report();
        }
      }
      copy.end(pending);
      await finished(copy);
      report();
      rejects.sort((a, b) => a.line - b.line);
      await finishImport(c, importId, loaded, rejected, rejects);
      await c.query('COMMIT');
    } catch (err) {
      input?.destroy();
      // A COPY still open holds the connection: ROLLBACK would wait behind it
      // for ever. Destroying the stream sends CopyFail and ends it.
      if (copy && !copy.writableFinished) {
        copy.destroy(err as Error);
        await finished(copy).catch(() => undefined);
      }
      await c.query('ROLLBACK').catch(() => undefined);
      // On a connection that died mid-import (a server restart), record the failure through another one.
      await failImport(c, importId, (err as Error).message)
        .catch(() => failImport(db.pool('nexus_import', 1), importId, (err as Error).message))
        .catch(() => undefined);
      throw err instanceof NexusError ? err : new NexusError('import_failed', `${fileName} could not be imported: ${(err as Error).message}`, { cause: err });
    }
    if (loaded > 0) await c.query('SELECT nexus.request_etl()');
    return {
      import_id: importId, source: o.source, file_name: fileName, file_sha256: sha256, format, bytes: size,
      rows_loaded: loaded, rows_rejected: rejected, forced: !!prev, ms: performance.now() - t0,
      rejects: rejects.map((r) => ({ line: r.line, ...r.reject })),
    };
  } finally {
    await unlockFile(c, sha256).catch(() => undefined);
    await c.end();
  }
}

function pick(o: ImportOptions): Omit<ImportSourceDecl, 'name'> {
  return {
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(o.entityType !== undefined ? { entityType: o.entityType } : {}),
    ...(o.keyField !== undefined ? { keyField: o.keyField } : {}),
    ...(o.timeField !== undefined ? { timeField: o.timeField } : {}),
  };
}
