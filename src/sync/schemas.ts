// JSON schemas of the sync API (TypeBox): they drive validation where the
// whole request must be well-formed, and the OpenAPI document at
// /v1/openapi.json. The push body is documented in full but validated by
// push-batch.ts and op-validate.ts, because one bad op must be rejected on
// its own, not fail the batch (SYNC_PROTOCOL §2).

import { Type } from '@sinclair/typebox';

const Uuid = Type.String({ format: 'uuid', examples: ['0192f1d2-6c1e-7a3b-9c55-2f0b8e1c4d10'] });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'lowercase hex SHA-256' });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'stable snake_case code; clients branch on it' }),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
);

export const PushOp = Type.Object(
  {
    op_id: Uuid,
    seq: Type.Integer({ minimum: 1, description: 'the device\u2019s counter: starts at 1, +1 per op, across batches' }),
    entity: Type.Union([Type.Literal('patient'), Type.Literal('session'), Type.Literal('document'), Type.Literal('image')]),
    patient_id: Uuid,
    entity_id: Uuid,
    schema_version: Type.Integer({ minimum: 1 }),
    base_version: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    recorded_at: Type.String({ format: 'date-time', description: 'device clock; informational only' }),
    payload_sha256: Sha256,
    payload: Type.Object({}, { additionalProperties: true, description: 'JSON object, at most 1 MiB; for document/image: {sha256, size, content_type, file_name, captured_at?}' }),
  },
  { additionalProperties: true },
);

export const PushBody = Type.Object({ ops: Type.Array(PushOp, { description: 'consecutive seq; may be empty' }) });

const OpError = Type.Object({ code: Type.String(), message: Type.String() });

export const PushResult = Type.Object({
  op_id: Type.String(),
  seq: Type.Integer(),
  status: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('rejected')]),
  version: Type.Optional(Type.Integer({ description: 'applied/duplicate: server version of the op (increasing in arrival order)' })),
  error: Type.Optional(OpError),
});

export const PushResponse = Type.Object({
  last_seq: Type.Integer(),
  results: Type.Array(PushResult),
  missing_files: Type.Array(Sha256),
  server_time: Type.String({ format: 'date-time' }),
});

export const PullChange = Type.Object({
  entity: Type.String({ description: 'patient | session | document | image' }),
  patient_id: Type.String({ format: 'uuid' }),
  entity_id: Type.String({ format: 'uuid' }),
  version: Type.Integer({ description: 'server version; send it back as base_version on the next edit' }),
  origin_device: Type.String({ format: 'uuid' }),
  payload_sha256: Sha256,
  payload: Type.Object({}, { additionalProperties: true }),
});

export const PullResponse = Type.Object({
  changes: Type.Array(PullChange),
  last_seq: Type.Integer({ description: 'the device\'s own highest accepted seq' }),
  parameters_version: Type.Integer(),
  cursor: Type.String({ description: 'opaque; pass it to the next pull' }),
  has_more: Type.Boolean(),
});

export const ParametersResponse = Type.Object({
  version: Type.Integer(),
  parameters: Type.Object({}, { additionalProperties: true, description: 'key → any JSON value' }),
});

export const ProtocolHeader = Type.Object({
  'nexus-protocol': Type.Optional(Type.String({ description: 'protocol version; missing means 1; anything else → 400 protocol_unsupported' })),
});

export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { ...Problem, description: `problem details (${s})` }]));
