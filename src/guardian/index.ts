// Guardian's public surface, for the CLI and other components' tests.
// Keep these names stable: src/sync's tests start a Guardian and register
// devices through them.

export { startGuardianServer, guardianService, type GuardianServer, type GuardianServerOptions } from './server.ts';
export {
  addDevice,
  listDevices,
  revokeDevice,
  revocationList,
  DEFAULT_GROUP,
  type AddDeviceOptions,
  type AddedDevice,
  type DeviceSummary,
  type RevocationList,
} from './devices.ts';
export { enrolDevice, authenticateDevice } from './enrol.ts';
export { rotateKey, ensureSigningKey, readKeys, currentKey, jwks, keysPath, type RotationResult, type SigningKey, type KeyStore } from './keys.ts';
export { issueToken, type TokenOptions } from './tokens.ts';
export { ADDRESS_POOLS, allocateAddress, type AddressPool, type PoolName } from './pool.ts';
export { readRegistry, registryPath, guardianDir, type DeviceRecord, type Registry } from './store.ts';
export { renderWireguardConfig } from './wireguard.ts';
export { GUARDIAN_PREFIX } from './routes.ts';
