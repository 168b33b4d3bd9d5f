// The services' TLS certificate: devices stop syncing the day it expires.
// `nexus up` and the services renew it 30 days ahead; this catches the case
// where nothing restarted them.

import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { tlsDir } from '../../tls/index.ts';
import { result, type Check } from '../types.ts';

export const tlsExpiry: Check = async (ctx) => {
  const file = path.join(tlsDir(ctx.settings.home), 'server.crt');
  if (!existsSync(file)) return result('tls_certificate', 'warn', `no server certificate at ${file} (nexus tls init)`);
  const cert = new X509Certificate(readFileSync(file));
  const days = (Date.parse(cert.validTo) - ctx.now.getTime()) / 86_400_000;
  const status = days < 7 ? 'fail' : days < 21 ? 'warn' : 'ok';
  const msg = days < 0 ? `expired ${(-days).toFixed(0)} days ago (${cert.validTo})` : `valid for ${days.toFixed(0)} more days (until ${cert.validTo})`;
  return result('tls_certificate', status, `server certificate ${msg}`, days);
};
