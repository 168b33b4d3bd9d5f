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
export { ADDRESS_POOLS, allocateAddress, takenAddresses, ipNumber, ipString, rangeCidrs, describeRange, type AddressPool, type IpRange, type PoolName } from './pool.ts';
export { readRegistry, registryPath, guardianDir, withGuardianLock, type DeviceRecord, type PeerRecord, type PeerRole, type Registry } from './store.ts';
export { addPeer, listPeers, revokePeer, releaseAddress, PEER_ROLES, type AddPeerOptions, type ReleasedAddress } from './peers.ts';
export { renderWireguardConfig } from './wireguard.ts';
export { GUARDIAN_PREFIX } from './routes.ts';
