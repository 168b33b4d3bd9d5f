// nexus-gate's public surface for the CLI and tests.

export { generateKeyPair, publicKeyOf, checkKey, isWgKey, type WgKeyPair } from './keys.ts';
export { ensureGateKey, readGateKey, gateKeyPath } from './gate-key.ts';
export { gateConfig, activePeers, poolCidrs, WG_INTERFACE, type GateConfig, type GatePeer } from './config.ts';
export { addGatePeer, addGateDevice, type AddedPeer, type AddedGateDevice } from './peers.ts';
export { qrTerminal, writeQrPng } from './qr.ts';
export { renderGateWireguard, renderClientWireguard } from './wireguard.ts';
export { renderGate, WG_CONF, type RenderResult, type RenderedFile } from './render.ts';
export { checkGate, scratchUfw, type CheckResult } from './check.ts';
export { applyGate, type ApplyOptions, type ApplyResult } from './apply.ts';
export { snapshotGuardian } from './snapshot.ts';
export { createWgInterface, stripConfig, wgSetconf, type WgInterface } from './wg.ts';
export { withScratchNetns, inNetns, run } from './tools.ts';
export { zoneWarnings, dnsLabel } from './dnsmasq.ts';
export { renderKeepalived, renderCheckScript, renderNotifyScript, type ScriptOptions } from './keepalived.ts';
export { renderDnsmasq } from './dnsmasq.ts';
