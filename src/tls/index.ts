// TLS material under $NEXUS_HOME/tls: the internal CA, the services' server
// certificate (SANs from NEXUS_TLS_SANS plus localhost and 127.0.0.1), and
// client certificates for devices (signed from their CSR at enrolment).

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { ensureHomeDir, writeFileAtomic } from '../core/files.ts';
import { withLock } from '../core/lock.ts';
import { NexusError } from '../core/errors.ts';
import type { TlsMaterial } from '../core/http.ts';
import { createCa, createServerCert, signClientCsr, type KeyAndCert } from './ca.ts';

const RENEW_BEFORE_DAYS = 30;
const DEFAULT_SANS = ['localhost', '127.0.0.1'];

export function tlsDir(home: string): string {
  return path.join(home, 'tls');
}

export function caCertPath(home: string): string {
  return path.join(tlsDir(home), 'ca.crt');
}

const files = (home: string) => ({
  caCert: caCertPath(home),
  caKey: path.join(tlsDir(home), 'ca.key'),
  cert: path.join(tlsDir(home), 'server.crt'),
  key: path.join(tlsDir(home), 'server.key'),
});

function loadCa(home: string): KeyAndCert {
  const f = files(home);
  if (!existsSync(f.caCert) || !existsSync(f.caKey)) {
    throw new NexusError('tls_missing', `No internal CA in ${tlsDir(home)}; run \`nexus tls init\`.`);
  }
  return { certPem: readFileSync(f.caCert, 'utf8'), keyPem: readFileSync(f.caKey, 'utf8') };
}

/** Does the server certificate cover these names and stay valid long enough? */
function serverCertFits(certPem: string, sans: string[]): boolean {
  const cert = new X509Certificate(certPem);
  const left = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
  const names = (cert.subjectAltName ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '').toLowerCase());
  return left > RENEW_BEFORE_DAYS && sans.every((s) => names.includes(s.toLowerCase()));
}

export interface TlsInitResult {
  caCreated: boolean;
  serverIssued: boolean;
  sans: string[];
  paths: ReturnType<typeof files>;
}

/**
 * Creates the CA once, and a server certificate when there is none, when it
 * lacks one of the SANs, or when it nears expiry. Idempotent.
 */
export async function ensureTls(home: string, sans: string[] = []): Promise<TlsInitResult> {
  const f = files(home);
  ensureHomeDir(home);
  mkdirSync(tlsDir(home), { recursive: true, mode: 0o700 });
  const all = [...new Set([...sans, ...DEFAULT_SANS].map((s) => s.trim()).filter(Boolean))];
  // Services start together (`nexus up`, an HA pair sharing a copied home):
  // one creates the authority, the others find it.
  return withLock(path.join(tlsDir(home), '.lock'), () => ensureTlsLocked(f, home, all), { timeoutMs: 60_000 });
}

async function ensureTlsLocked(f: ReturnType<typeof files>, home: string, all: string[]): Promise<TlsInitResult> {
  let caCreated = false;
  if (!existsSync(f.caCert)) {
    const ca = await createCa();
    writeFileAtomic(f.caKey, ca.keyPem, 0o600);
    writeFileAtomic(f.caCert, ca.certPem, 0o644);
    caCreated = true;
  }
  let serverIssued = false;
  if (caCreated || !existsSync(f.cert) || !existsSync(f.key) || !serverCertFits(readFileSync(f.cert, 'utf8'), all)) {
    const server = await createServerCert(loadCa(home), all);
    writeFileAtomic(f.key, server.keyPem, 0o600);
    writeFileAtomic(f.cert, server.certPem + readFileSync(f.caCert, 'utf8'), 0o644); // chain: leaf + CA
    serverIssued = true;
  }
  return { caCreated, serverIssued, sans: all, paths: f };
}

export function loadServerTls(home: string, opts: { requestCert?: boolean } = {}): TlsMaterial {
  const f = files(home);
  if (!existsSync(f.cert) || !existsSync(f.key)) {
    throw new NexusError('tls_missing', `No server certificate in ${tlsDir(home)}; run \`nexus tls init\`.`);
  }
  return {
    key: readFileSync(f.key),
    cert: readFileSync(f.cert),
    ca: readFileSync(f.caCert),
    requestCert: opts.requestCert ?? false,
  };
}

export async function signDeviceCsr(home: string, csrPem: string, deviceId: string): Promise<string> {
  const ca = loadCa(home);
  try {
    return await signClientCsr(ca, csrPem, deviceId);
  } catch (err) {
    throw new NexusError('invalid_csr', `The CSR could not be used: ${(err as Error).message}. Send a PEM PKCS#10 request signed by the device's key.`, {
      status: 400,
    });
  }
}

/** The subject CN of a client certificate that our CA verified on this connection, if any. */
export function peerCertificateSubject(socket: TLSSocket): string | undefined {
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn || undefined;
}
