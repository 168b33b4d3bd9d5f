// Is the gate reachable? Guardian's health endpoint at the gate's tunnel
// address (NEXUS_GATE_VPN_ADDRESS, NEXUS_GUARDIAN_PORT), over HTTPS that
// trusts our CA only. An answer proves the tunnel network, the gate and
// Guardian are up, and that the gate serves a certificate from our CA;
// Guardian without a signing key answers but issues no tokens: a warning.
// Where `nexus up` runs Guardian in-process, that Guardian is the gate.

import { existsSync, readFileSync } from 'node:fs';
import { caCertPath } from '../../tls/index.ts';
import { result, type CheckContext, type CheckResult } from '../types.ts';
import { httpGet } from './endpoints.ts';

export const GUARDIAN_HEALTH_PATH = '/guardian/v1/health';
const TLS_TRUST = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

export function gateUrl(ctx: CheckContext): string {
  return ctx.endpoints.gate ?? `https://${ctx.settings.gateVpnAddress}:${ctx.settings.guardianPort}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function gateReachable(ctx: CheckContext): Promise<CheckResult> {
  const base = gateUrl(ctx);
  const caFile = caCertPath(ctx.settings.home);
  if (!existsSync(caFile)) return result('gate_reachable', 'warn', `cannot check the gate at ${base}: no CA at ${caFile} (nexus tls init)`);
  const t0 = Date.now();
  try {
    const { status, text } = await httpGet(`${base}${GUARDIAN_HEALTH_PATH}`, readFileSync(caFile));
    const body = parseJson(text);
    const ms = Date.now() - t0;
    const b = (body ?? {}) as { status?: unknown; signing_key?: unknown };
    if (status !== 200 || b.status !== 'ok') return result('gate_reachable', 'fail', `Guardian on the gate at ${base} answered ${status}${b.status ? ` (${String(b.status)})` : ''}`, ms);
    if (b.signing_key !== 'present') return result('gate_reachable', 'warn', `the gate at ${base} answers, but Guardian has no signing key: devices get no tokens (nexus guardian rotate-key on the gate)`, ms);
    return result('gate_reachable', 'ok', `the gate at ${base} answered in ${ms} ms`, ms);
  } catch (err) {
    const e = err as Error & { code?: string };
    const hint = TLS_TRUST.test(e.code ?? '') ? ' (the gate must serve a certificate from our CA for its tunnel address)' : '';
    return result('gate_reachable', 'fail', `the gate at ${base} is unreachable: ${e.message}${hint}`);
  }
}
