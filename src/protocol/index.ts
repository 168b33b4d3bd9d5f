// Nexus Sync Protocol v1: constants, messages and error codes.
export * from './constants.ts';
export * from './messages.ts';
export * from './codes.ts';
export * from './hash.ts';
export * from './validate.ts';
export * from './uuid.ts';
