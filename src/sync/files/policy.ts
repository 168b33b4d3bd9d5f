// What a device may upload: a size limit and a list of media types, both
// settings (NEXUS_FILE_MAX_BYTES, NEXUS_FILE_CONTENT_TYPES). PUT and tus apply
// the same checks, with the same codes, before any byte is stored.

import { NexusError } from '../../core/errors.ts';

export interface FilePolicy {
  maxBytes: number;
  contentTypes: readonly string[];
}

/** `image/jpeg; foo=bar` → `image/jpeg`; undefined when absent or empty. */
export function mediaType(header: string | undefined): string | undefined {
  const t = header?.split(';')[0]?.trim().toLowerCase();
  return t ? t : undefined;
}

export function checkContentType(policy: FilePolicy, header: string | undefined): string {
  const type = mediaType(header);
  if (!type || !policy.contentTypes.includes(type)) {
    throw new NexusError(
      'unsupported_content_type',
      `${type ? `Content type ${JSON.stringify(type.slice(0, 100))} is` : 'A file without a content type is'} not accepted; allowed: ${policy.contentTypes.join(', ')}.`,
      { status: 415, extra: { allowed: [...policy.contentTypes] } },
    );
  }
  return type;
}

export function tooLarge(policy: FilePolicy): NexusError {
  return new NexusError('file_too_large', `Files may be at most ${policy.maxBytes} bytes.`, {
    status: 413,
    extra: { max_bytes: policy.maxBytes },
  });
}

/** Parses a decimal length header (Content-Length, Upload-Length); undefined when absent or not a number. */
export function parseLength(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string' || !/^\d{1,16}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}
