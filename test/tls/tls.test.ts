// The internal CA: a real HTTPS server with the issued certificate, verified
// by a client that trusts only our CA; device CSRs become client certificates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ensureTls, loadServerTls, signDeviceCsr, peerCertificateSubject, caCertPath } from '../../src/tls/index.ts';

const home = mkdtempSync(path.join(os.tmpdir(), 'nexus-tls-'));
test.after(() => rmSync(home, { recursive: true, force: true }));

function opensslCsr(cn: string): { key: string; csr: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'csr-'));
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${dir}/k.pem`, '-out', `${dir}/r.pem`], { stdio: 'ignore' });
  const out = { key: readFileSync(`${dir}/k.pem`, 'utf8'), csr: readFileSync(`${dir}/r.pem`, 'utf8') };
  rmSync(dir, { recursive: true });
  return out;
}

test('init creates CA and server certificate once; keys are private', async () => {
  const first = await ensureTls(home, ['nexus-server.home.arpa', '10.10.0.10']);
  assert.equal(first.caCreated, true);
  assert.equal(first.serverIssued, true);
  const again = await ensureTls(home, ['nexus-server.home.arpa', '10.10.0.10']);
  assert.equal(again.caCreated, false);
  assert.equal(again.serverIssued, false);
  assert.equal(statSync(first.paths.caKey).mode & 0o777, 0o600);
  assert.equal(statSync(first.paths.key).mode & 0o777, 0o600);
  const cert = new X509Certificate(readFileSync(first.paths.cert));
  for (const san of ['DNS:nexus-server.home.arpa', 'IP Address:10.10.0.10', 'DNS:localhost', 'IP Address:127.0.0.1']) {
    assert.ok(cert.subjectAltName?.includes(san), `SAN ${san} in ${cert.subjectAltName}`);
  }
  assert.ok(cert.verify(new X509Certificate(readFileSync(caCertPath(home))).publicKey));
  // A new SAN re-issues the server certificate but keeps the CA.
  const added = await ensureTls(home, ['nexus-server.home.arpa', '10.10.0.10', 'sync.home.arpa']);
  assert.deepEqual([added.caCreated, added.serverIssued], [false, true]);
});

test('HTTPS with the issued certificate: trusted with our CA, refused without; client certificate subject is read', async () => {
  await ensureTls(home);
  const tls = loadServerTls(home, { requestCert: true });
  const server = https.createServer({ ...tls, rejectUnauthorized: false }, (req, res) => {
    res.end(peerCertificateSubject(req.socket as TLSSocket) ?? 'none');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const get = (opts: https.RequestOptions) =>
    new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/', ...opts }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
  try {
    const ca = readFileSync(caCertPath(home));
    assert.equal(await get({ ca }), 'none');
    await assert.rejects(get({}), /self[- ]signed|unable to verify|certificate/i);
    const device = '0192f1d2-0000-7000-8000-00000000d001';
    const { key, csr } = opensslCsr('whatever-the-device-asked');
    const cert = await signDeviceCsr(home, csr, device);
    assert.equal(new X509Certificate(cert).subject, `CN=${device}`);
    assert.equal(await get({ ca, key, cert }), device);
  } finally {
    server.close();
  }
});

test('a bad CSR is refused with invalid_csr', async () => {
  await ensureTls(home);
  await assert.rejects(signDeviceCsr(home, 'not a csr', 'x'), { code: 'invalid_csr', status: 400 });
  const { csr } = opensslCsr('x');
  const tampered = csr.replace(/[A-Za-z](?=[A-Za-z0-9+/]{20}\n)/, (c) => (c === 'A' ? 'B' : 'A'));
  writeFileSync(path.join(home, 'tampered.csr'), tampered);
  await assert.rejects(signDeviceCsr(home, tampered, 'x'), { code: 'invalid_csr' });
});
