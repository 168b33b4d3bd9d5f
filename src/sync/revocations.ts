// The revoked devices, polled from Guardian (GET /guardian/v1/revocations)
// every NEXUS_REVOCATION_POLL_SECONDS (≤ 20 s), so a revoked device's
// unexpired token is refused within 60 s (SYNC_PROTOCOL §1). When Guardian
// cannot be reached the last known list stays in force and a warning is
// logged; the gate that runs Guardian also carries the VPN, so an outage
// there cuts devices off anyway.

import type { Logger } from '../core/log.ts';
import { getGuardianJson } from './guardian-client.ts';

export class RevocationList {
  private revoked = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly url: string;
  private readonly ca: string | Buffer | undefined;
  private readonly log: Logger;
  /** When the list was last read successfully (0: never). */
  fetchedAt = 0;

  constructor(url: string, ca: string | Buffer | undefined, log: Logger) {
    this.url = url;
    this.ca = ca;
    this.log = log;
  }

  has(deviceId: string): boolean {
    return this.revoked.has(deviceId.toLowerCase());
  }

  async refresh(): Promise<void> {
    const body = (await getGuardianJson(this.url, this.ca)) as { revoked?: Array<{ device_id?: unknown }> };
    const ids = (Array.isArray(body?.revoked) ? body.revoked : [])
      .map((r) => r?.device_id)
      .filter((id): id is string => typeof id === 'string')
      .map((id) => id.toLowerCase());
    this.revoked = new Set(ids);
    this.fetchedAt = Date.now();
  }

  /** Reads the list now and then every `seconds`; failures keep the last list. */
  async start(seconds: number): Promise<void> {
    if (this.timer) return;
    const tick = () => this.refresh().catch((err: unknown) => this.log.warn({ err }, 'revocation list not refreshed; keeping the last one'));
    this.timer = setInterval(() => void tick(), seconds * 1000);
    this.timer.unref();
    await tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
