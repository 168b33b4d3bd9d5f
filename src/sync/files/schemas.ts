// Schemas of the file routes: validation of the check body and the
// /v1/openapi.json description. Binary bodies are described, not validated.

import { ProtocolHeader, problemResponses } from '../schemas.ts';
import { DEFAULT_LIMITS } from '../../protocol/index.ts';

const Sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'lowercase hex SHA-256' } as const;
const ShaParam = { type: 'object', properties: { sha256: { ...Sha256, description: 'the file\u2019s SHA-256 (64 lowercase hex digits)' } } } as const;
const common = { tags: ['files'], security: [{ bearer: [] }], headers: ProtocolHeader } as const;

export const checkSchema = {
  ...common,
  summary: 'Which of these files does the server lack? (SYNC_PROTOCOL §3)',
  body: {
    type: 'object',
    required: ['sha256'],
    properties: { sha256: { type: 'array', maxItems: DEFAULT_LIMITS.maxCheckHashes, items: Sha256 } },
  },
  response: {
    200: { type: 'object', required: ['missing'], properties: { missing: { type: 'array', items: Sha256 } } },
    ...problemResponses(400, 401),
  },
} as const;

const Stored = {
  type: 'object',
  properties: { sha256: Sha256, size: { type: 'integer' }, content_type: { type: 'string' } },
} as const;

export const putSchema = {
  ...common,
  summary: 'Upload a file\u2019s raw bytes under its SHA-256; Content-Type is the file\u2019s, Content-Length required',
  params: ShaParam,
  response: {
    200: { ...Stored, description: 'already stored (the bytes were still verified)' },
    201: { ...Stored, description: 'stored' },
    ...problemResponses(400, 401, 411, 413, 415, 422),
  },
} as const;

export const getSchema = {
  ...common,
  summary: 'Download a file (single Range supported; ETag is the quoted sha256); 404 unless a record visible to this device refers to it',
  params: ShaParam,
  response: problemResponses(400, 401, 404, 416),
} as const;

export const tusSchema = {
  tags: ['files'],
  security: [{ bearer: [] }],
  summary: 'tus 1.0.0 resumable upload (core, creation, creation-with-upload, termination, checksum); Upload-Metadata carries sha256 and content_type',
} as const;
