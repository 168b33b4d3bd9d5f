// The one test of what a file's name may be: 64 lowercase hex digits
// (SYNC_PROTOCOL §0). Everything that builds a path from a hash checks it
// here first, so no path trick ever reaches the file system.

const SHA256 = /^[0-9a-f]{64}$/;

export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && SHA256.test(value);
}
