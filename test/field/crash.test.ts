// Crash safety with real process deaths: a client process is killed with
// SIGKILL at random moments while it edits and syncs, many times over. After
// a restart and a final sync nothing is lost or duplicated on either side:
// every op the client committed is in staging exactly once (seqs 1..n), and
// the device holds the server's latest version of everything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { payloadSha256, sha256Hex } from '../../src/protocol/index.ts';
import { entityPath, listDeadLetters, openDevice, outboxSeqs, readJson, readMeta, sync } from '../../src/field/index.ts';
import { nodeFs } from '../../src/field/node.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { rng } from '../../src/field-sim/data.ts';
import { fieldStack, staged } from './stack.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.ts');
const s = await fieldStack();

function runAndKill(dir: string, seed: number, killAfterMs: number, ops: Set<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, caCertPath(s.home), String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!timer && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const line of out.split('\n')) if (line.startsWith('op ')) ops.add(line.slice(3));
      if (signal !== 'SIGKILL') reject(new Error(`the client ended by itself (${code}): ${err}`));
      else resolve();
    });
  });
}

test('SIGKILL at random points during edits and syncs, many times: nothing lost, nothing duplicated', async () => {
  const first = await s.device();
  const dir = first.dir;
  const r = rng(42);
  const committed = new Set<string>();
  // 8 rounds, more while a loaded machine let the clients commit too few ops to mean much (at most 16).
  for (let round = 0; round < 16 && (round < 8 || committed.size <= 20); round++) await runAndKill(dir, round + 1, 150 + Math.floor(r() * 900), committed);
  assert.ok(committed.size > 20, `the clients committed ${committed.size} ops`);

  const c = await openDevice(nodeFs(dir), s.http, { retry: { attempts: 5, baseMs: 20, capMs: 200 } });
  for (let i = 0; i < 5 && (await outboxSeqs(c.device.fs)).length; i++) await sync(c);
  assert.deepEqual(await outboxSeqs(c.device.fs), []);
  assert.deepEqual(await listDeadLetters(c.device.fs), []);
  const { seqs, byOp, rows } = await staged(s, c.device.state.device_id);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'seqs 1..n with no gap');
  assert.ok([...byOp.values()].every((n) => n === 1), 'no op stored twice');
  for (const id of committed) assert.equal(byOp.get(id), 1, `committed op ${id} is in staging once`);

  // The device side: every entity at the server's latest version, with matching content.
  const latest = new Map<string, (typeof rows)[number]>();
  for (const row of rows) if (row.status === 'applied') latest.set(row.entity_id, row);
  const all = await s.t.query<{ entity_id: string; entity: string; patient_id: string; payload_sha256: string; file_sha: string | null }>(
    'admin', "SELECT DISTINCT ON (entity_id) entity_id::text, entity, patient_id::text, payload_sha256, raw->'payload'->>'sha256' AS file_sha FROM staging.sync_inbound WHERE device_id = $1 AND status = 'applied' ORDER BY entity_id, ingest_id DESC", [c.device.state.device_id]);
  for (const e of all) {
    const meta = await readMeta(c.device.fs, e.patient_id);
    assert.equal(meta.versions[e.entity_id]?.version, latest.get(e.entity_id)!.ingest_id, `${e.entity} ${e.entity_id} at the latest version`);
    const file = entityPath(e.entity as 'patient', e.patient_id, e.entity_id);
    if (e.entity === 'patient' || e.entity === 'session') assert.equal(payloadSha256(await readJson(c.device.fs, file)), e.payload_sha256);
    else assert.equal(sha256Hex((await c.device.fs.read(file))!), e.file_sha);
  }
  // The patient index (rewritten after each patient write, repaired by recovery) matches every folder.
  const folders = (await c.device.fs.list('patients')).sort();
  assert.deepEqual([...c.device.patients.entries.keys()].sort(), folders, 'one index entry per folder');
  for (const p of folders) {
    const json = await readJson(c.device.fs, `patients/${p}/patient.json`);
    assert.equal(c.device.patients.get(p)!.sha, json ? payloadSha256(json) : null, `index entry of ${p}`);
  }
  assert.deepEqual(await c.device.fs.list('journal'), [], 'no open intent');
  assert.deepEqual(await c.device.fs.list('tmp'), [], 'no temp file');
  const files = await s.t.query<{ missing: number }>('admin',
    "SELECT count(*)::int AS missing FROM staging.sync_inbound s WHERE device_id = $1 AND entity IN ('document','image') AND status = 'applied' AND NOT EXISTS (SELECT 1 FROM nexus.files f WHERE f.sha256 = s.raw->'payload'->>'sha256')", [c.device.state.device_id]);
  assert.equal(files[0]!.missing, 0, 'every attachment\u2019s bytes reached the server');
});
