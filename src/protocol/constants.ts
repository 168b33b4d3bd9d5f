export const PROTOCOL_VERSION = 1;
/** Request header naming the protocol version; missing means 1. */
export const PROTOCOL_HEADER = 'nexus-protocol';
export const SUPPORTED_VERSIONS = [1] as const;

/** Server defaults (settings may change them; the server tells the limits in 413 bodies). */
export const DEFAULT_LIMITS = {
  maxOpsPerPush: 500,
  maxPushBytes: 8 * 1024 * 1024,
  maxPayloadBytes: 1024 * 1024,
  maxFileBytes: 64 * 1024 * 1024,
  maxCheckHashes: 1000,
  pullLimitDefault: 500,
  pullLimitMax: 1000,
  tokenTtlSeconds: 15 * 60,
  enrollmentCodeTtlSeconds: 24 * 60 * 60,
} as const;

export const ENTITIES = ['patient', 'session', 'document', 'image'] as const;
export type Entity = (typeof ENTITIES)[number];

export const FILE_ENTITIES: readonly Entity[] = ['document', 'image'];
export const DEFAULT_CONTENT_TYPES = ['application/pdf', 'image/jpeg'] as const;

/** Token audience and the algorithm verifiers allow. */
export const TOKEN_AUDIENCE = 'nexus-sync';
export const TOKEN_ALGORITHM = 'EdDSA';
