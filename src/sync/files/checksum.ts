// tus checksum extension: `Upload-Checksum: <algorithm> <base64 digest>` on a
// PATCH (or a creation-with-upload POST) covers that request's body. Neither
// @tus/server nor @tus/file-store implements it, so we do (tus-store.ts).

import { NexusError } from '../../core/errors.ts';

/** Advertised in Tus-Checksum-Algorithm, in order of preference. */
export const CHECKSUM_ALGORITHMS = ['sha256', 'sha1'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  /** The digest as raw bytes. */
  digest: Buffer;
}

const EXPECTED_BYTES: Record<ChecksumAlgorithm, number> = { sha256: 32, sha1: 20 };

/** undefined when the header is absent; a 400 NexusError when it is malformed or names another algorithm. */
export function parseUploadChecksum(header: string | null | undefined): Checksum | undefined {
  if (header === null || header === undefined) return undefined;
  const m = /^\s*([A-Za-z0-9-]+)\s+([A-Za-z0-9+/]+={0,2})\s*$/.exec(header);
  if (!m) throw new NexusError('invalid_request', 'Upload-Checksum must be "<algorithm> <base64 digest>".', { status: 400 });
  const algorithm = m[1]!.toLowerCase();
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new NexusError('invalid_request', `Checksum algorithm ${JSON.stringify(algorithm.slice(0, 20))} is not supported; use ${CHECKSUM_ALGORITHMS.join(' or ')}.`, {
      status: 400,
      extra: { supported: [...CHECKSUM_ALGORITHMS] },
    });
  }
  const alg = algorithm as ChecksumAlgorithm;
  const digest = Buffer.from(m[2]!, 'base64');
  if (digest.length !== EXPECTED_BYTES[alg]) {
    throw new NexusError('invalid_request', `An ${alg} digest is ${EXPECTED_BYTES[alg]} bytes; the header carries ${digest.length}.`, { status: 400 });
  }
  return { algorithm: alg, digest };
}

/** tus's own status for a body that does not match its Upload-Checksum. */
export const CHECKSUM_MISMATCH = { status_code: 460, body: 'Checksum Mismatch\n' } as const;
