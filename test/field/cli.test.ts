// `nexus field …` as a person uses it: the real CLI in child processes
// against a real Guardian and sync server. Asserts the device folder on
// disk, the outbox and dead letters, staging, the warehouse and the pull
// feed, and a second device (enrolled from endpoints.json) that pulls it all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { addDevice } from '../../src/guardian/index.ts';
import { caCertPath } from '../../src/tls/index.ts';
import { payloadSha256, sha256Hex, uuidv7 } from '../../src/protocol/index.ts';
import { nexus, type CliResult } from '../helpers/cli.ts';
import { fieldStack, staged } from './stack.ts';
import { PDF, tempDir } from './helpers.ts';

const s = await fieldStack();
const env = { NEXUS_HOME: s.home };

const code = async (name: string) => (await addDevice(s.home, { name, enrollmentTtlHours: 1 })).enrollmentCode;
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const outbox = (dir: string) => readdirSync(path.join(dir, 'outbox')).filter((f) => /^\d{12}\.json$/.test(f)).sort();
const ok = (r: CliResult): string => {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
};
/** Bad input: exit code, the stable code and no stack trace. */
function refused(r: CliResult, exit: number, pattern: RegExp): void {
  assert.equal(r.code, exit, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

const dirA = path.join(tempDir(), 'ipad-a');
const urls = ['--guardian', s.guardian.url, '--sync', s.sync.url, '--ca', caCertPath(s.home)];
const ids: { patient?: string; session?: string; doc?: string; docSha?: string; deviceA?: string } = {};

test('init --enroll lays out the device folder; a spent code, a second init and missing endpoints are refused clearly', async () => {
  const enrolCode = await code('cli-a');
  const init = JSON.parse(ok(await nexus(['field', 'init', '--enroll', enrolCode, ...urls, '--name', 'ipad-a', '--dir', dirA, '--json'], env)));
  ids.deviceA = init.device_id;
  assert.equal(init.dir, dirA);
  const dev = json(path.join(dirA, 'device.json'));
  assert.equal(dev.device_id, init.device_id);
  assert.equal(dev.next_seq, 1);
  for (const d of ['outbox', 'deadletter', 'patients']) assert.ok(statSync(path.join(dirA, d)).isDirectory(), d);
  assert.equal(statSync(path.join(dirA, 'secret.json')).mode & 0o777, 0o600, 'the device secret is private');
  assert.equal(json(path.join(dirA, 'config.json')).sync_url, s.sync.url);

  refused(await nexus(['field', 'init', '--enroll', enrolCode, ...urls, '--dir', dirA], env), 2, /already_initialised|already holds/);
  refused(await nexus(['field', 'init', '--enroll', enrolCode, ...urls, '--dir', path.join(tempDir(), 'x')], env), 1, /enrol/i);
  refused(await nexus(['field', 'init', '--enroll', 'whatever', '--dir', path.join(tempDir(), 'y')], { NEXUS_HOME: tempDir() }), 2, /--guardian and --sync/);
  refused(await nexus(['field', 'status', '--dir', path.join(tempDir(), 'z')], env), 2, /nexus field init/);
});

test('patient add/edit, session add, attach: each writes its file and exactly one outbox op', async () => {
  const patient = ok(await nexus(['field', 'patient', 'add', '--data', '{"first_name":"Ada","last_name":"Berger","care_level":2}', '--dir', dirA], env));
  assert.match(patient, /^[0-9a-f-]{36}$/);
  ids.patient = patient;
  const pdir = path.join(dirA, 'patients', patient);
  assert.equal(json(path.join(pdir, 'patient.json')).first_name, 'Ada');
  assert.equal(outbox(dirA).length, 1);

  ok(await nexus(['field', 'patient', 'edit', patient, '--data', '{"care_level":3,"last_name":null}', '--dir', dirA], env));
  const edited = json(path.join(pdir, 'patient.json'));
  assert.equal(edited.care_level, 3);
  assert.equal(edited.first_name, 'Ada');
  assert.ok(!('last_name' in edited), 'null removes a field');

  const session = ok(await nexus(['field', 'session', 'add', patient, '--data', '{"type":"home_visit","notes":"first visit"}', '--dir', dirA], env));
  ids.session = session;
  assert.equal(json(path.join(pdir, 'sessions', `${session}.json`)).notes, 'first visit');

  const pdfFile = path.join(tempDir(), 'scan.pdf');
  writeFileSync(pdfFile, PDF);
  const att = ok(await nexus(['field', 'attach', patient, pdfFile, '--dir', dirA], env));
  const [, entity, docId, sha] = /^(\w+) (\S+) sha256 ([0-9a-f]{64})$/.exec(att) ?? [];
  assert.equal(entity, 'document');
  assert.equal(sha, sha256Hex(PDF));
  ids.doc = docId;
  ids.docSha = sha;
  assert.deepEqual(readFileSync(path.join(pdir, 'documents', `${docId}.pdf`)), Buffer.from(PDF));

  const ops = outbox(dirA).map((f) => json(path.join(dirA, 'outbox', f)));
  assert.deepEqual(ops.map((o) => [o.seq, o.entity]), [[1, 'patient'], [2, 'patient'], [3, 'session'], [4, 'document']]);
  assert.equal(ops[1].base_version, null, 'not synced yet: no server version to base the edit on');
  assert.equal(ops[1].payload_sha256, payloadSha256(edited));

  const st = JSON.parse(ok(await nexus(['field', 'status', '--dir', dirA, '--json'], env)));
  assert.equal(st.outbox.length, 4);
  assert.equal(st.outbox.oldest_seq, 1);
  assert.equal(st.deadletters, 0);
  assert.equal(st.last_sync_at, null);
  assert.equal(st.pull_cursor, null);
  assert.match(ok(await nexus(['field', 'status', '--dir', dirA], env)), /outbox\s+4 op\(s\), oldest \d+s \(seq 1\)\n/);
});

test('bad input is refused without touching the folder', async () => {
  const before = outbox(dirA).length;
  refused(await nexus(['field', 'patient', 'edit', uuidv7(), '--data', '{"a":1}', '--dir', dirA], env), 2, /patient_not_found|no patient/i);
  refused(await nexus(['field', 'patient', 'add', '--data', '{not json', '--dir', dirA], env), 2, /--data must be a JSON object/);
  refused(await nexus(['field', 'patient', 'add', '--data', '[1,2]', '--dir', dirA], env), 2, /--data must be a JSON object/);
  refused(await nexus(['field', 'session', 'add', 'not-a-uuid', '--dir', dirA], env), 2, /must be a UUID/);
  refused(await nexus(['field', 'attach', ids.patient!, path.join(tempDir(), 'missing.pdf'), '--dir', dirA], env), 2, /no such file/);
  const txt = path.join(tempDir(), 'notes.txt');
  writeFileSync(txt, 'plain text');
  refused(await nexus(['field', 'attach', ids.patient!, txt, '--dir', dirA], env), 2, /unsupported_content_type|PDF|JPEG/i);
  assert.equal(outbox(dirA).length, before);
});

test('sync pushes the outbox and the file, and the edits reach staging, the warehouse and the pull feed', async () => {
  const r = JSON.parse(ok(await nexus(['field', 'sync', '--dir', dirA, '--json'], env)));
  assert.equal(r.push.applied, 4);
  assert.equal(r.push.rejected, 0);
  assert.equal(r.push.uploaded, 1);
  assert.deepEqual(outbox(dirA), []);
  assert.deepEqual(readdirSync(path.join(dirA, 'deadletter')), []);
  const st = JSON.parse(ok(await nexus(['field', 'status', '--dir', dirA, '--json'], env)));
  assert.equal(st.outbox.length, 0);
  assert.equal(st.last_seq, 4);
  assert.ok(st.last_sync_at);

  const { seqs, rows } = await staged(s, ids.deviceA!);
  assert.deepEqual(seqs, [1, 2, 3, 4]);
  assert.ok(rows.every((x) => x.status === 'applied'));
  const [file] = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM nexus.files WHERE sha256 = $1', [ids.docSha]);
  assert.equal(file!.n, 1, 'the PDF\u2019s bytes are on the server');

  await s.settle();
  // Add and edit went out in one push: staging keeps both versions; the
  // warehouse (SCD2) keeps the state after the push, which is the edit.
  const patientRows = rows.filter((x) => x.entity_id === ids.patient);
  assert.equal(patientRows.length, 2, 'both patient versions are in staging');
  const current = json(path.join(dirA, 'patients', ids.patient!, 'patient.json'));
  const [dim] = await s.t.query<{ payload_sha256: string }>('admin',
    "SELECT payload_sha256 FROM warehouse.dim_entity WHERE patient_id = $1 AND entity_type = 'patient' ORDER BY version DESC LIMIT 1", [ids.patient]);
  assert.equal(dim!.payload_sha256, payloadSha256(current), 'the warehouse holds the edited patient');
  const sessions = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM warehouse.fact_transactions WHERE session_id = $1', [ids.session]);
  assert.equal(sessions[0]!.n, 1);
  const feed = await s.t.query<{ entity: string }>('admin', 'SELECT entity FROM mart_field.changes WHERE patient_id = $1', [ids.patient]);
  assert.deepEqual(feed.map((f) => f.entity).sort(), ['document', 'patient', 'session']);
});

test('a second device enrolled from endpoints.json pulls everything; its local delete is never sent nor undone', async () => {
  // `nexus up` writes endpoints.json; init and the default folder ($NEXUS_HOME/field) come from it.
  const homeB = tempDir();
  writeFileSync(path.join(homeB, 'endpoints.json'), JSON.stringify({ guardian: s.guardian.url, sync: s.sync.url, ca: caCertPath(s.home) }));
  const envB = { NEXUS_HOME: homeB };
  const dirB = path.join(homeB, 'field');
  ok(await nexus(['field', 'init', '--enroll', await code('cli-b')], envB));
  assert.ok(existsSync(path.join(dirB, 'device.json')));

  const r = JSON.parse(ok(await nexus(['field', 'sync', '--json'], envB)));
  assert.equal(r.pull.applied, 3, 'patient, session and document');
  const pdir = path.join(dirB, 'patients', ids.patient!);
  assert.deepEqual(json(path.join(pdir, 'patient.json')), json(path.join(dirA, 'patients', ids.patient!, 'patient.json')));
  assert.equal(json(path.join(pdir, 'sessions', `${ids.session}.json`)).notes, 'first visit');
  assert.deepEqual(readFileSync(path.join(pdir, 'documents', `${ids.doc}.pdf`)), Buffer.from(PDF));

  ok(await nexus(['field', 'patient', 'delete', ids.patient!], envB));
  assert.ok(!existsSync(pdir), 'the folder is gone');
  assert.deepEqual(json(path.join(dirB, 'tombstones.json')).map((t: { patient_id: string }) => t.patient_id), [ids.patient]);
  assert.deepEqual(outbox(dirB), [], 'a deletion is never sent');
  refused(await nexus(['field', 'session', 'add', ids.patient!], envB), 2, /patient_deleted|deleted/);

  // Device A edits the patient again; B's next pull does not bring it back.
  ok(await nexus(['field', 'patient', 'edit', ids.patient!, '--data', '{"phone":"+49 30 1234"}', '--dir', dirA], env));
  ok(await nexus(['field', 'sync', '--dir', dirA], env));
  await s.settle();
  const again = JSON.parse(ok(await nexus(['field', 'sync', '--json'], envB)));
  assert.equal(again.pull.tombstoned, 1);
  assert.ok(!existsSync(pdir), 'not resurrected');
  const st = JSON.parse(ok(await nexus(['field', 'status', '--json'], envB)));
  assert.equal(st.tombstones, 1);
  assert.ok(st.pull_cursor);
  const { rows } = await staged(s, st.device_id);
  assert.equal(rows.length, 0, 'device B never sent anything');
});

test('an op the server rejects lands in deadletter/ and status counts it; the queue goes on', async () => {
  const dev = json(path.join(dirA, 'device.json'));
  // A corrupt op (its hash does not match), as a buggy app version might write.
  const bad = { op_id: uuidv7(), seq: dev.next_seq, entity: 'session', patient_id: ids.patient, entity_id: uuidv7(), schema_version: 1, base_version: null, recorded_at: new Date().toISOString(), payload_sha256: '0'.repeat(64), payload: { x: 1 } };
  mkdirSync(path.join(dirA, 'outbox'), { recursive: true });
  writeFileSync(path.join(dirA, 'outbox', `${String(bad.seq).padStart(12, '0')}.json`), JSON.stringify(bad));
  ok(await nexus(['field', 'session', 'add', ids.patient!, '--data', '{"type":"phone_call"}', '--dir', dirA], env));
  assert.equal(outbox(dirA).length, 2);

  const out = ok(await nexus(['field', 'sync', '--dir', dirA], env));
  assert.match(out, /pushed 1 applied, 0 duplicate, 1 rejected/);
  assert.deepEqual(outbox(dirA), []);
  const dead = readdirSync(path.join(dirA, 'deadletter')).filter((f) => f.endsWith('.json'));
  assert.equal(dead.length, 1);
  const letter = json(path.join(dirA, 'deadletter', dead[0]!));
  assert.equal(letter.op.op_id, bad.op_id);
  assert.equal(letter.error.code, 'payload_hash_mismatch');
  const st = JSON.parse(ok(await nexus(['field', 'status', '--dir', dirA, '--json'], env)));
  assert.equal(st.deadletters, 1);
  assert.equal(st.outbox.length, 0);
  const [row] = await s.t.query<{ status: string; error_code: string }>('admin', 'SELECT status, error_code FROM staging.sync_inbound WHERE op_id = $1', [bad.op_id]);
  assert.deepEqual(row, { status: 'rejected', error_code: 'payload_hash_mismatch' }, 'kept server-side with its reason');
});

test('simulate refuses up front where the server would refuse simulated devices (source-address check), and without a platform', async () => {
  const home = tempDir();
  refused(await nexus(['field', 'simulate'], { NEXUS_HOME: home }), 2, /endpoints\.json not found: start the platform with `nexus up`/);
  writeFileSync(path.join(home, 'endpoints.json'), JSON.stringify({ guardian: s.guardian.url, sync: s.sync.url }));
  refused(await nexus(['field', 'simulate'], { NEXUS_HOME: home, NEXUS_SYNC_HOST: '10.10.0.10' }), 2, /simulated devices do not have; simulate against a platform with NEXUS_CHECK_SOURCE_ADDRESS=false/);
  refused(await nexus(['field', 'simulate', '--devices', '0'], { NEXUS_HOME: home }), 2, /--devices must be a whole number from 1 to 10000/);
  assert.equal(readdirSync(home).length, 1, 'nothing enrolled, nothing written');
});
