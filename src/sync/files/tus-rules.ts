// What a tus upload must declare at creation (SYNC_PROTOCOL §3): its length
// (no deferred length: the size limit is checked before any byte is taken)
// and, in Upload-Metadata, the sha256 it will hash to and its content type.

import { Metadata } from '@tus/server';
import { NexusError } from '../../core/errors.ts';
import { checkContentType, parseLength, tooLarge, type FilePolicy } from './policy.ts';
import { isSha256 } from './sha.ts';
import { META } from './tus-finish.ts';

export interface Creation {
  size: number;
  sha256: string;
  contentType: string;
}

const invalid = (message: string): NexusError => new NexusError('invalid_request', message, { status: 400 });

export function parseMetadata(header: string | undefined): Record<string, string | null> {
  if (!header) return {};
  try {
    return Metadata.parse(header);
  } catch {
    throw invalid('Upload-Metadata must be comma-separated "key base64value" pairs with unique keys.');
  }
}

export function checkMetadata(metadata: Record<string, string | null | undefined> | undefined, policy: FilePolicy): { sha256: string; contentType: string } {
  const sha256 = metadata?.[META.sha256];
  if (!isSha256(sha256)) throw invalid('Upload-Metadata must carry sha256: the file\u2019s SHA-256 as 64 lowercase hex digits.');
  const raw = metadata?.[META.contentType];
  if (!raw) throw invalid('Upload-Metadata must carry content_type: the file\u2019s media type.');
  return { sha256, contentType: checkContentType(policy, raw) };
}

/** Checks a creation request's headers; `header` returns a request header by lower-case name. */
export function checkCreation(header: (name: string) => string | undefined, policy: FilePolicy): Creation {
  if (header('upload-defer-length') !== undefined) {
    throw invalid('Upload-Length is required: this server does not accept uploads of deferred length.');
  }
  // Not advertised in Tus-Extension; @tus/server would answer 501, a server error, to a client's request.
  if (header('upload-concat') !== undefined) {
    throw invalid('Upload-Concat is not supported: this server has no concatenation extension; send the file as one upload.');
  }
  const size = parseLength(header('upload-length'));
  if (size === undefined) throw invalid('Upload-Length is required: the file size in bytes.');
  if (size > policy.maxBytes) throw tooLarge(policy);
  return { size, ...checkMetadata(parseMetadata(header('upload-metadata')), policy) };
}
