// GET/HEAD /v1/files/{sha256}: conditional and range logic. A file's bytes
// never change (the name is their hash), so the ETag is the sha256 and the
// response may be cached privately for good.

import { open } from 'node:fs/promises';
import type { FastifyReply } from 'fastify';
import { NexusError } from '../../core/errors.ts';
import type { StoredFile } from './store.ts';
import { parseRange } from './range.ts';

export interface DownloadRequest {
  method: string;
  range: string | undefined;
  ifRange: string | undefined;
  ifNoneMatch: string | undefined;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}

export async function sendFile(reply: FastifyReply, file: StoredFile, filePath: string, req: DownloadRequest): Promise<FastifyReply> {
  const etag = `"${file.sha256}"`;
  reply
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    .header('cache-control', 'private, max-age=31536000, immutable');
  if (etagMatches(req.ifNoneMatch, etag)) return reply.code(304).send();

  // If-Range with another validator means "the copy I hold is stale": send it all.
  const useRange = req.ifRange === undefined || req.ifRange.trim() === etag;
  const range = useRange ? parseRange(req.range, file.sizeBytes) : { kind: 'full' as const };
  if (range.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${file.sizeBytes}`);
    throw new NexusError('invalid_request', `The range ${JSON.stringify(req.range)} lies outside the file's ${file.sizeBytes} bytes.`, {
      status: 416,
      extra: { size: file.sizeBytes },
    });
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : file.sizeBytes - 1;
  const length = Math.max(0, end - start + 1);
  if (range.kind === 'partial') reply.code(206).header('content-range', `bytes ${start}-${end}/${file.sizeBytes}`);
  reply.type(file.contentType).header('content-length', String(length));
  if (req.method === 'HEAD' || length === 0) return reply.send();
  // Opened before any byte is sent, so a damaged store is a clean 500, not a torn response.
  const fh = await open(filePath, 'r');
  return reply.send(fh.createReadStream({ start, end, autoClose: true }));
}
