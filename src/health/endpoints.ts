// Where the other services are: what `nexus up` passed on, else what the
// settings say (a service run alone by systemd). The gate is where Guardian
// runs: in-process under `nexus up`, else at the gate's tunnel address.

import type { Settings } from '../core/settings.ts';

export function watchedEndpoints(settings: Settings, given: Readonly<Record<string, string>>): Record<string, string> {
  const fromSettings: Record<string, string> = { sync: `https://${settings.syncHost === '0.0.0.0' ? '127.0.0.1' : settings.syncHost}:${settings.syncPort}` };
  if (settings.guardianUrl) fromSettings.guardian = settings.guardianUrl;
  const gate = given.guardian ?? `https://${settings.gateVpnAddress}:${settings.guardianPort}`;
  return { ...fromSettings, gate, ...given };
}
