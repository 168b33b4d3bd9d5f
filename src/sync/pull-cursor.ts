// Pull cursors: a position in mart_field.changes' commit-safe order
// (txid, change_id), signed so a device can neither forge nor alter one.
//
// mode 'initial' pages through the latest version of every entity below a
// fixed snapshot bound `x`; mode 'changes' pages through everything after a
// position. When the initial pages end, the cursor moves to position (x, 0):
// every row below x has been accounted for.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { NexusError } from '../core/errors.ts';

export interface Cursor {
  mode: 'initial' | 'changes';
  /** Snapshot bound of the initial pages (initial mode only). */
  x?: string;
  /** Position: after this (txid, change_id). */
  txid: string;
  changeId: string;
}

const DIGITS = /^\d{1,20}$/;

export function encodeCursor(c: Cursor, key: Buffer): string {
  const body = Buffer.from(JSON.stringify([1, c.mode === 'initial' ? 'i' : 'c', c.x ?? null, c.txid, c.changeId])).toString('base64url');
  const mac = createHmac('sha256', key).update(body).digest('base64url').slice(0, 22);
  return `${body}.${mac}`;
}

function invalid(): NexusError {
  return new NexusError('invalid_cursor', 'The cursor is not one this server issued; pull again without a cursor.', { status: 400 });
}

export function decodeCursor(raw: string, key: Buffer): Cursor {
  const [body, mac] = raw.split('.');
  if (!body || !mac || raw.length > 512) throw invalid();
  const expected = Buffer.from(createHmac('sha256', key).update(body).digest('base64url').slice(0, 22));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed[0] !== 1) throw invalid();
  const [, mode, x, txid, changeId] = parsed as [number, string, string | null, string, string];
  if ((mode !== 'i' && mode !== 'c') || !DIGITS.test(txid) || !DIGITS.test(changeId) || (mode === 'i' && (!x || !DIGITS.test(x)))) throw invalid();
  return { mode: mode === 'i' ? 'initial' : 'changes', ...(mode === 'i' ? { x: x! } : {}), txid, changeId };
}
