// The simulator's progress line and final summary, for people.

import type { Progress, SimReport } from './fleet.ts';

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const ms = (v: number | null): string => (v === null ? '–' : `${v} ms`);

export function formatProgress(p: Progress): string {
  const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
  const eta = p.etaSeconds === null ? '?' : `${Math.ceil(p.etaSeconds)}s`;
  return `${p.phase.padEnd(8)} ${String(pct).padStart(3)}% (${p.done}/${p.total})  ${p.opsPerSecond.toFixed(1)} ops/s  ETA ${eta}  online ${p.online}  errors ${p.errors}`;
}

export function formatReport(r: SimReport): string {
  const c = r.check;
  return [
    `ran ${r.elapsedSeconds.toFixed(1)}s (${r.syncSeconds.toFixed(1)}s working and syncing, ${r.rounds} round(s)): ${r.ops} ops (${r.opsPerSecond.toFixed(1)} ops/s end to end)`,
    `bytes sent ${mib(r.bytesSent)}, received ${mib(r.bytesReceived)}; files uploaded ${r.filesUploaded}; changes pulled ${r.changesPulled}`,
    `push→pull latency between devices: ${r.latency.samples} sample(s), p50 ${ms(r.latency.p50Ms)}, p95 ${ms(r.latency.p95Ms)}, p99 ${ms(r.latency.p99Ms)}, max ${ms(r.latency.maxMs)}`,
    `conflicts (pulled changes kept local while an edit was pending) ${r.conflicts}; dead letters ${r.deadLetters}; errors ${r.errors}`,
    ...r.errorSamples.map((e) => `  error: ${e}`),
    `check: ${c.ok ? 'OK' : 'FAILED'}`,
    `  staging: ${c.opsCreated} ops created, ${c.opsInStaging} rows, ${c.missingInStaging} missing, ${c.duplicatedInStaging} duplicated, ${c.unexpectedInStaging} unexpected, ${c.rejected} rejected`,
    `  warehouse: ${c.notInWarehouse} applied op(s) not in the pull feed`,
    `  convergence: ${c.entities} entities, ${c.divergent} device/entity pair(s) differ from the server's latest`,
    ...c.problems.map((p) => `  problem: ${p}`),
    '',
  ].join('\n');
}
