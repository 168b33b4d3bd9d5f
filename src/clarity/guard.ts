// The SQL editor's read-only guard. DuckDB's own parser splits the text and
// its planner reports each statement's type: exactly one statement, of type
// SELECT (which covers WITH, FROM-first, DESCRIBE, SHOW, SUMMARIZE) or
// EXPLAIN, is accepted; anything else is refused before it runs. The engine
// itself cannot reach files outside Clarity's folders, and the data came
// through a role that cannot write, so this is the second of two locks.

import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { StatementType } from '@duckdb/node-api';
import { NexusError } from '../core/errors.ts';

const ALLOWED = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

export function readOnlyRefused(what: string): NexusError {
  return new NexusError('clarity_read_only', `Clarity only runs read statements (SELECT, WITH, EXPLAIN); this is ${what}.`, { status: 403 });
}

/** Prepares `sql` if it is one read statement; throws clarity_read_only or clarity_sql_invalid otherwise. */
export async function prepareReadOnly(c: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  if (!sql.trim()) throw new NexusError('clarity_sql_invalid', 'The query is empty.', { status: 400 });
  let extracted;
  try {
    extracted = await c.extractStatements(sql);
  } catch (err) {
    throw new NexusError('clarity_sql_invalid', cleanMessage(err), { status: 400 });
  }
  if (extracted.count !== 1) throw readOnlyRefused(`${extracted.count} statements; run one at a time`);
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (err) {
    // Planning a write may fail before its type is known (COPY to a file it
    // may not touch, DROP of a missing table): name it for what it is.
    const kw = firstKeyword(sql);
    if (!READ_KEYWORDS.has(kw)) throw readOnlyRefused(`a ${kw || 'non-read'} statement`);
    throw new NexusError('clarity_sql_invalid', cleanMessage(err), { status: 400 });
  }
  if (!ALLOWED.has(prepared.statementType)) {
    const name = StatementType[prepared.statementType] ?? 'an unknown statement';
    prepared.destroySync?.();
    throw readOnlyRefused(`a ${name} statement`);
  }
  return prepared;
}

const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'EXPLAIN', 'DESCRIBE', 'SHOW', 'SUMMARIZE', 'TABLE', '(']);

/** The statement's first keyword, past comments and whitespace (upper case). */
export function firstKeyword(sql: string): string {
  const rest = sql.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  return rest.startsWith('(') ? '(' : (/^[A-Za-z]+/.exec(rest)?.[0] ?? '').toUpperCase();
}

/** DuckDB's message without its internal prefixes, for the person who typed the SQL. */
export function cleanMessage(err: unknown): string {
  return String((err as Error)?.message ?? err).replace(/^\w+ Error: /, '').slice(0, 500);
}
