// The fleet simulator in-process against a real stack: a small fleet with
// offline devices and shared patients must pass its own check; a fleet
// larger than the VPN's field pool (100 addresses) enrols outside it, in
// teams, and leaves nothing enrolled behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caCertPath } from '../../src/tls/index.ts';
import { readRegistry } from '../../src/guardian/index.ts';
import { simulate, type SimOptions } from '../../src/field-sim/fleet.ts';
import { formatReport } from '../../src/field-sim/report.ts';
import { fieldStack } from './stack.ts';
import { tempDir } from './helpers.ts';

const s = await fieldStack();

function run(o: Omit<SimOptions, 'workDir'>, progress?: (phase: string) => void) {
  return simulate(
    { workDir: tempDir(), warehouseWaitMs: 10_000, ...o },
    { home: s.home, db: s.t.db, http: s.http, guardianUrl: s.guardian.url, syncUrl: s.sync.url, caFile: caCertPath(s.home), progress: (p) => progress?.(p.phase) },
  );
}

test('a small fleet converges: every op once in staging and accounted for in the warehouse, every device at the latest versions', async () => {
  const seen: string[] = [];
  const r = await run({ devices: 3, patients: 12, sessions: 30, attachments: 3, offlineRatio: 0.4, durationSeconds: 4, seed: 3 }, (p) => seen.push(p));
  const c = r.check;
  assert.deepEqual([c.missingInStaging, c.duplicatedInStaging, c.unexpectedInStaging, c.rejected, c.divergent], [0, 0, 0, 0, 0], formatReport(r));
  // Every applied op is in the pull feed, quarantined, or (patients) no change of state.
  assert.equal(c.notInWarehouse, 0, formatReport(r));
  assert.equal(r.errors, 0, formatReport(r));
  assert.ok(r.check.opsCreated >= 12 + 30 + 3);
  assert.equal(r.check.opsInStaging, r.check.opsCreated);
  assert.ok(seen.includes('work') && seen.includes('converge'));
  assert.ok(r.latency.samples > 0 && r.latency.p95Ms! >= r.latency.p50Ms!, `push→pull latency measured: ${JSON.stringify(r.latency)}`);
});

test('more devices than the field pool holds: simulated devices enrol outside the VPN, in teams, and are retired afterwards', async () => {
  const before = readRegistry(s.home).devices.length;
  const r = await run({ devices: 130, groups: 13, patients: 40, sessions: 40, attachments: 2, offlineRatio: 0.1, durationSeconds: 2, seed: 5 });
  assert.ok(r.check.ok, formatReport(r));
  assert.equal(r.errors, 0, formatReport(r));
  const sims = readRegistry(s.home).devices.slice(before);
  assert.equal(sims.length, 130);
  assert.ok(sims.every((d) => d.wg_ip.startsWith('198.18.')), 'addresses from the benchmarking range, not 10.10.0.100–199');
  assert.equal(new Set(sims.map((d) => d.wg_ip)).size, 130);
  assert.ok(sims.every((d) => d.status === 'revoked' && d.released_at), 'revoked and released after the run');
  assert.deepEqual(new Set(sims.flatMap((d) => d.groups)).size, 13);
  // Teams: a device pulled only its team's patients, so far fewer changes than a fleet-wide pull.
  assert.ok(r.changesPulled < r.ops * 129 / 4, `changes pulled ${r.changesPulled} for ${r.ops} ops`);
  // The field pool is untouched: a real iPad still gets 10.10.0.100.
  assert.ok(!readRegistry(s.home).devices.some((d) => d.wg_ip.startsWith('10.10.0.') && d.name.startsWith('sim-')));
});
