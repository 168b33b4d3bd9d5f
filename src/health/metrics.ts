// /metrics in Prometheus format (prom-client): one gauge for each check's
// status (0 ok, 1 warn, 2 fail) and one for its value, plus the process's
// default metrics. A registry per service instance, so tests can run several.

import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { STATUS_LEVEL, type CheckResult } from './types.ts';

export class HealthMetrics {
  readonly registry = new Registry();
  private readonly status: Gauge;
  private readonly value: Gauge;
  private readonly lastRun: Gauge;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nexus_health_process_' });
    this.status = new Gauge({ name: 'nexus_health_check_status', help: 'Check status: 0 ok, 1 warn, 2 fail', labelNames: ['check'], registers: [this.registry] });
    this.value = new Gauge({ name: 'nexus_health_check_value', help: 'The number a check measured (bytes free, seconds, count; see the check)', labelNames: ['check'], registers: [this.registry] });
    this.lastRun = new Gauge({ name: 'nexus_health_last_run_timestamp_seconds', help: 'When the checks last ran', registers: [this.registry] });
  }

  update(results: CheckResult[], at: Date): void {
    this.status.reset();
    this.value.reset();
    for (const r of results) {
      this.status.set({ check: r.name }, STATUS_LEVEL[r.status]);
      if (r.value !== undefined) this.value.set({ check: r.name }, r.value);
    }
    this.lastRun.set(at.getTime() / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
