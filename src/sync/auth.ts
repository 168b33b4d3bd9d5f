// Who is calling (SYNC_PROTOCOL §1): every /v1 request carries a Guardian
// access token, verified here against Guardian's JWKS with the algorithm
// allow-listed (EdDSA), then checked against the revocation list, the client
// certificate (when required) and the source address (when checked).

import type { FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { jwtVerify, decodeProtectedHeader, errors, type JWTPayload } from 'jose';
import { NexusError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Settings } from '../core/settings.ts';
import { DEFAULT_LIMITS, TOKEN_ALGORITHM, TOKEN_AUDIENCE, isUuid } from '../protocol/index.ts';
import { peerCertificateSubject } from '../tls/index.ts';
import { JwksCache } from './jwks.ts';
import { RevocationList } from './revocations.ts';

export interface DeviceIdentity {
  deviceId: string;
  groups: string[];
  wgIp: string;
  tokenId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the /v1 auth hook once the token has been verified. */
    device?: DeviceIdentity;
  }
}

export interface Authenticator {
  authenticate(req: FastifyRequest): Promise<DeviceIdentity>;
  /** Resolves once the first load of JWKS and revocations was tried (failures are logged and retried). */
  ready(): Promise<void>;
  /** Stops polling Guardian. */
  close(): void;
}

export interface AuthenticatorOptions {
  guardianUrl: string;
  /** CA certificate(s) to trust for Guardian's HTTPS. */
  ca: string | Buffer | undefined;
  settings: Pick<Settings, 'tokenIssuer' | 'requireClientCert' | 'revocationPollSeconds' | 'checkSourceAddress' | 'syncHost'>;
  /** Whether the source address must equal the token's wg_ip; default: from the setting and NEXUS_SYNC_HOST. */
  checkSourceAddress?: boolean;
  log: Logger;
}

// The auth scheme is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
/** The protocol caps token lifetime at 15 minutes; a longer-lived token was not made by a sound Guardian. */
const MAX_TOKEN_AGE_SECONDS = DEFAULT_LIMITS.tokenTtlSeconds;
/** Gate and server clocks may differ a little (both run NTP). */
const CLOCK_TOLERANCE_SECONDS = 30;

function fail(status: number, code: string, detail: string): NexusError {
  return new NexusError(code, detail, { status });
}

/** The bearer token, or 401 unauthorized when absent or not a JWS compact serialisation. */
export function bearerToken(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  const m = BEARER.exec(value.trim());
  if (!m) throw fail(401, 'unauthorized', 'Send `Authorization: Bearer <access token>`; get a token from Guardian (POST /guardian/v1/token).');
  try {
    decodeProtectedHeader(m[1]!);
  } catch {
    throw fail(401, 'unauthorized', 'The bearer token is malformed (not a JWT).');
  }
  return m[1]!;
}

function verifyError(err: unknown): NexusError {
  if (err instanceof NexusError) return err;
  if (err instanceof errors.JWTExpired) return fail(401, 'token_expired', 'The access token has expired; fetch a new one from Guardian.');
  return fail(401, 'invalid_token', `The access token failed verification (${err instanceof errors.JOSEError ? err.code : 'invalid'}).`);
}

function claimsOf(payload: JWTPayload): DeviceIdentity {
  const { sub, jti } = payload;
  const groups = payload.groups;
  const wgIp = payload.wg_ip;
  if (!isUuid(sub) || typeof jti !== 'string' || typeof wgIp !== 'string' || !Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    throw fail(401, 'invalid_token', 'The access token lacks sub, jti, groups or wg_ip.');
  }
  return { deviceId: sub.toLowerCase(), groups: groups as string[], wgIp, tokenId: jti };
}

/** IPv4-mapped IPv6 (::ffff:10.10.0.100) and plain IPv4 compare equal. */
export function sameAddress(a: string | undefined, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return a !== undefined && norm(a) === norm(b);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * NEXUS_CHECK_SOURCE_ADDRESS: `auto` checks unless sync listens on loopback
 * only — the development setup, where no device can connect at all.
 */
export function checksSourceAddress(settings: Pick<Settings, 'checkSourceAddress'>, host: string): boolean {
  if (settings.checkSourceAddress === 'auto') return !LOOPBACK.has(host);
  return settings.checkSourceAddress === 'true';
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const base = opts.guardianUrl.replace(/\/+$/, '');
  const jwks = new JwksCache(`${base}/guardian/v1/jwks.json`, opts.ca);
  const revocations = new RevocationList(`${base}/guardian/v1/revocations`, opts.ca, opts.log);
  const checkSource = opts.checkSourceAddress ?? checksSourceAddress(opts.settings, opts.settings.syncHost);
  // Loading starts at once, so no caller can forget to start the revocation polling.
  const loaded = Promise.all([
    jwks.refresh().catch((err: unknown) => opts.log.warn({ err }, 'Guardian JWKS not loaded yet; will retry on the first request')),
    revocations.start(opts.settings.revocationPollSeconds),
  ]).then(() => undefined);

  return {
    async authenticate(req) {
      const token = bearerToken(req.headers.authorization);
      let device: DeviceIdentity;
      try {
        const { payload } = await jwtVerify(token, jwks.getKey, {
          algorithms: [TOKEN_ALGORITHM],
          audience: TOKEN_AUDIENCE,
          issuer: opts.settings.tokenIssuer,
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
          maxTokenAge: MAX_TOKEN_AGE_SECONDS,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
        device = claimsOf(payload);
      } catch (err) {
        throw verifyError(err);
      }
      if (revocations.has(device.deviceId)) throw fail(401, 'device_revoked', 'This device was revoked; it needs to be registered and enrolled again.');
      if (opts.settings.requireClientCert && peerCertificateSubject(req.raw.socket as TLSSocket)?.toLowerCase() !== device.deviceId) {
        throw fail(401, 'client_certificate_required', 'This server requires the device\u2019s client certificate (issued at enrolment) on the TLS connection.');
      }
      if (checkSource && !sameAddress(req.raw.socket.remoteAddress, device.wgIp)) {
        throw fail(401, 'token_address_mismatch', 'The request did not come from the VPN address the token was issued for.');
      }
      return device;
    },
    ready: () => loaded,
    close() {
      revocations.stop();
    },
  };
}
