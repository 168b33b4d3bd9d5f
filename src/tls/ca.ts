// The platform's internal certificate authority, with @peculiar/x509 on
// node's WebCrypto. ECDSA P-256 throughout: it is what iOS keys (Secure
// Enclave) produce for device CSRs. Apple clients accept certificates from a
// private CA for at most 825 days, hence the server certificate's lifetime.

import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const SERVER_CERT_DAYS = 825;
export const CLIENT_CERT_DAYS = 365;
const CA_DAYS = 3650;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

function window(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 5 * 60_000), notAfter: new Date(now + days * 86_400_000) }; // 5 min skew tolerance
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function pemToKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']) as Promise<CryptoKey>;
}

export async function createCa(commonName = 'Nexus internal CA'): Promise<KeyAndCert> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}, O=Nexus`,
    ...window(CA_DAYS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: await keyToPem(keys.privateKey), certPem: cert.toString('pem') + '\n' };
}

async function issue(ca: KeyAndCert, publicKey: CryptoKey, subject: string, days: number, extensions: x509.Extension[]): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    ...window(days),
    signingAlgorithm: ALG,
    publicKey,
    signingKey: await pemToKey(ca.keyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      ...extensions,
    ],
  });
  return cert.toString('pem') + '\n';
}

export async function createServerCert(ca: KeyAndCert, sans: string[]): Promise<KeyAndCert> {
  const keys = await newKeys();
  const names = sans.map((s) => (isIP(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s }));
  const certPem = await issue(ca, keys.publicKey, `CN=${sans[0] ?? 'localhost'}`, SERVER_CERT_DAYS, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names),
  ]);
  return { keyPem: await keyToPem(keys.privateKey), certPem };
}

/** Signs a device's CSR (EC or RSA key); the subject is the device id whatever the CSR asked for. */
export async function signClientCsr(ca: KeyAndCert, csrPem: string, deviceId: string): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error('the CSR signature does not verify');
  const publicKey = await csr.publicKey.export();
  return issue(ca, publicKey, `CN=${deviceId}`, CLIENT_CERT_DAYS, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
}
