// The fleet simulator in-process against a real stack: a small fleet with
// offline devices and shared patients; its own check must pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caCertPath } from '../../src/tls/index.ts';
import { simulate } from '../../src/field-sim/fleet.ts';
import { formatReport } from '../../src/field-sim/report.ts';
import { fieldStack } from './stack.ts';
import { tempDir } from './helpers.ts';

const s = await fieldStack();

test('a small fleet converges: every op once in staging and accounted for in the warehouse, every device at the latest versions', async () => {
  const seen: string[] = [];
  const r = await simulate(
    { devices: 3, patients: 12, sessions: 30, attachments: 3, offlineRatio: 0.4, durationSeconds: 4, seed: 3, workDir: tempDir(), warehouseWaitMs: 10_000 },
    { home: s.home, db: s.t.db, http: s.http, guardianUrl: s.guardian.url, syncUrl: s.sync.url, caFile: caCertPath(s.home), progress: (p) => seen.push(p.phase) },
  );
  const c = r.check;
  assert.deepEqual([c.missingInStaging, c.duplicatedInStaging, c.unexpectedInStaging, c.rejected, c.divergent], [0, 0, 0, 0, 0], formatReport(r));
  // Every applied op is in the pull feed, quarantined, or (patients) no change of state.
  assert.equal(c.notInWarehouse, 0, formatReport(r));
  assert.equal(r.errors, 0, formatReport(r));
  assert.ok(r.check.opsCreated >= 12 + 30 + 3);
  assert.equal(r.check.opsInStaging, r.check.opsCreated);
  assert.ok(seen.includes('work') && seen.includes('converge'));
});
