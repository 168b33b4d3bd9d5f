// PostgreSQL's jsonb cannot hold U+0000 or unpaired UTF-16 surrogates, which
// JSON itself allows ("\u0000", "\ud800"). An op carrying them is rejected,
// and what is kept of it has those characters replaced by U+FFFD, so even
// such an op is stored with its reason instead of failing the whole batch.
// Depth is bounded by push-batch.ts before this recursion runs.

const PATTERN = '\\u0000|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const BAD = new RegExp(PATTERN);
const BAD_ALL = new RegExp(PATTERN, 'g');

function clean(s: string): string {
  return s.replace(BAD_ALL, '\ufffd');
}

export function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return BAD.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasUnstorableText);
  return Object.entries(value).some(([k, v]) => BAD.test(k) || hasUnstorableText(v));
}

/** A copy with unstorable characters replaced; other values unchanged. */
export function toStorable(value: unknown): unknown {
  if (typeof value === 'string') return clean(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(toStorable);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k), toStorable(v)]));
}
