// Whole-request checks of a push (SYNC_PROTOCOL §2). Anything wrong here
// fails the request as a whole and writes nothing: the body's shape, the
// limits, and seq (an op without a usable seq cannot be judged on its own,
// because its seq is what it would consume).

import { NexusError } from '../core/errors.ts';
import { isPlainObject } from '../protocol/index.ts';

export interface PushLimits {
  maxOps: number;
  maxBytes: number;
  maxPayloadBytes: number;
}

/** Deeper JSON than this is refused before anything else (PostgreSQL's jsonb and JCS recurse). */
export const MAX_JSON_DEPTH = 64;

export interface ParsedBatch {
  ops: Array<Record<string, unknown>>;
  firstSeq: number;
}

export function batchTooLarge(limits: PushLimits, detail: string): NexusError {
  return new NexusError('batch_too_large', detail, {
    status: 413,
    extra: { max_ops: limits.maxOps, max_bytes: limits.maxBytes },
  });
}

function invalidBatch(detail: string): NexusError {
  return new NexusError('invalid_batch', detail, { status: 400 });
}

/** Nesting depth of a parsed JSON value, without recursion (hostile input can be millions deep). */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

export function parseBatch(body: unknown, limits: PushLimits): ParsedBatch {
  if (!isPlainObject(body)) throw invalidBatch('The body must be a JSON object {"ops": [...]}.');
  const ops = body.ops;
  if (!Array.isArray(ops)) throw invalidBatch('"ops" must be an array (it may be empty).');
  if (ops.length > limits.maxOps) {
    throw batchTooLarge(limits, `A push carries at most ${limits.maxOps} ops; this one has ${ops.length}. Split it into smaller batches.`);
  }
  if (jsonDepth(body, MAX_JSON_DEPTH + 2) > MAX_JSON_DEPTH + 2) {
    throw invalidBatch(`The body is nested more than ${MAX_JSON_DEPTH} levels deep inside an op.`);
  }
  let prev: number | undefined;
  ops.forEach((op, i) => {
    if (!isPlainObject(op)) throw invalidBatch(`ops[${i}] is not a JSON object.`);
    const seq = op.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
      throw invalidBatch(`ops[${i}].seq must be a whole number of at least 1.`);
    }
    if (prev !== undefined && seq !== prev + 1) {
      throw invalidBatch(`Ops in one batch must have consecutive seq: ops[${i}].seq is ${seq} after ${prev}.`);
    }
    prev = seq;
  });
  return { ops: ops as Array<Record<string, unknown>>, firstSeq: (ops[0] as { seq?: number } | undefined)?.seq ?? 0 };
}
