// Generators of hostile requests for the fuzz test: bad JSON, wrong types,
// huge strings, deep nesting, SQL fragments, path tricks, odd headers.
// Seeded, so a failure can be replayed.

import { payloadSha256 } from '../../src/protocol/index.ts';
import { rng, type Rng as Rand } from '../../src/field-sim/data.ts';

export { rng, type Rand };

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const NASTY_STRINGS = [
  "'; DROP TABLE staging.sync_inbound; --", '" OR 1=1 --', '$1', '\\', '%00', '\u0000', '\ud800', '\udc00x', '../../etc/passwd',
  '..%2f..%2f', '<script>alert(1)</script>', '${jndi:ldap://x}', '__proto__', 'constructor', '\u202e', '🙂'.repeat(50), '', ' ',
  '0192f1d2-0000-7000-8000-00000000000Z', 'NaN', 'null', 'true', '1e309', '-1', '9007199254740993',
];

export function nastyValue(r: Rand, depth = 0): unknown {
  switch (Math.floor(r() * 12)) {
    case 0: return pick(r, NASTY_STRINGS);
    case 1: return 'x'.repeat(Math.floor(r() * 200_000));
    case 2: return pick(r, [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, -0, 2 ** 31, 2 ** 63]);
    case 3: return pick(r, [null, true, false]);
    case 4: return depth < 3 ? [nastyValue(r, depth + 1), nastyValue(r, depth + 1)] : [];
    case 5: return depth < 3 ? { [pick(r, NASTY_STRINGS)]: nastyValue(r, depth + 1) } : {};
    case 6: {
      let v: unknown = null;
      for (let i = 20 + Math.floor(r() * 80); i > 0; i--) v = [v];
      return v;
    }
    default: return pick(r, NASTY_STRINGS) + String(Math.floor(r() * 1e6));
  }
}

const FIELDS = ['op_id', 'seq', 'entity', 'patient_id', 'entity_id', 'schema_version', 'base_version', 'recorded_at', 'payload_sha256', 'payload'];

/** An op that is valid except for a few hostile fields. */
export function hostileOp(r: Rand, seq: number, valid: Record<string, unknown>): Record<string, unknown> {
  const op: Record<string, unknown> = { ...valid, seq };
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const f = pick(r, FIELDS.filter((x) => x !== 'seq'));
    if (r() < 0.15) delete op[f];
    else op[f] = nastyValue(r);
  }
  if (r() < 0.3 && op.payload && typeof op.payload === 'object') op.payload_sha256 = payloadSha256(op.payload);
  if (r() < 0.1) op[pick(r, NASTY_STRINGS) || 'k'] = nastyValue(r);
  return op;
}

function deep(n: number, open: string, close: string, inner = '1'): string {
  return open.repeat(n) + inner + close.repeat(n);
}

/** A raw body that is not a valid batch as a whole. */
export function hostileBody(r: Rand): string {
  return pick(r, [
    () => '', () => '{', () => '{"ops":', () => '{"ops":[', () => 'null', () => '[]', () => '"ops"', () => '12',
    () => '{"ops": "'.concat('a'.repeat(Math.floor(r() * 100_000)), '"}'),
    () => `{"ops": ${deep(10_000, '[', ']')}}`,
    () => `{"ops": [{"seq": 1, "payload": ${deep(5_000, '{"a":', '}')}}]}`,
    () => `{"ops": [{"seq": ${pick(r, ['"1"', '-1', '0', '1.5', '1e400', 'null', 'true', '[]', '{}'])}}]}`,
    () => '{"ops": [1, 2, 3]}', () => '{"ops": [null]}', () => '{"__proto__": {"ops": []}}',
    () => '{"ops": [], "constructor": {"prototype": {"x": 1}}}',
    () => Buffer.from(Array.from({ length: 200 }, () => Math.floor(r() * 256))).toString('latin1'),
    () => '\ufeff{"ops":[]}x', () => '{"ops":[]} {"ops":[]}', () => '{"ops":[{"seq":1}],"ops":7}',
  ])();
}

export const PATH_TRICKS = [
  '/v1/sync/push/', '/v1/sync/push/../../v1/parameters', '/v1/sync/%2e%2e/parameters', '/v1//sync//push', '/v1/sync/push%00',
  '/v1/parameters?x=1&x=2', '/v1/parameters/..', '/v1/parameters%2f..%2f..%2fetc%2fpasswd', '/v1/../../etc/passwd',
  '/v1/sync/push?__proto__[x]=1', '/v1/PARAMETERS', '/v1/sync/pull/../push', '/v1/%ff%fe', '/v1/sync/push;jsessionid=1',
];

export const HEADER_TRICKS: Array<Record<string, string>> = [
  { 'content-type': 'application/json; charset=latin1' }, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' },
  { 'content-type': 'application/json', 'if-none-match': '' }, { 'if-none-match': 'W/' }, { 'if-none-match': '*, "x", ,,' },
  { 'nexus-protocol': '1' }, { 'nexus-protocol': '1, 1' }, { 'content-type': 'multipart/form-data; boundary=x' },
];
