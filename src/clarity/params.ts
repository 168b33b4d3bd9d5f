// Typed query parameters: `$name` in the SQL, declared with a type. Values
// arrive as text (forms, query strings) and are checked and converted here,
// then bound, never spliced into the SQL. An empty value binds NULL, so a
// query can say `($device IS NULL OR device_id = $device)` for "all".

import { DuckDBDateValue, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { NexusError } from '../core/errors.ts';

export const PARAM_TYPES = ['text', 'number', 'date', 'boolean'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export interface ParamDef {
  name: string;
  type: ParamType;
  label?: string;
  default?: string;
}

function bad(name: string, msg: string): NexusError {
  return new NexusError('clarity_param_invalid', `Parameter $${name}: ${msg}`, { status: 400, extra: { param: name } });
}

export function checkParamDefs(defs: unknown): ParamDef[] {
  if (defs === undefined || defs === null) return [];
  if (!Array.isArray(defs)) throw bad('?', 'parameters must be a list');
  return defs.map((d: Partial<ParamDef>) => {
    if (typeof d?.name !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/i.test(d.name)) throw bad(String(d?.name), 'the name must be a letter or _ followed by letters, digits or _');
    if (!(PARAM_TYPES as readonly string[]).includes(String(d.type))) throw bad(d.name, `the type must be one of ${PARAM_TYPES.join(', ')}`);
    return { name: d.name, type: d.type as ParamType, ...(d.label ? { label: String(d.label) } : {}), ...(d.default !== undefined ? { default: String(d.default) } : {}) };
  });
}

/**
 * Binds every parameter the statement uses: by its declared type (text when
 * undeclared), from `values`, else the declared default, else NULL.
 */
export function bindParams(p: DuckDBPreparedStatement, defs: ParamDef[], values: Record<string, unknown>): void {
  const byName = new Map(defs.map((d) => [d.name, d]));
  for (let i = 1; i <= p.parameterCount; i++) {
    const name = p.parameterName(i);
    if (/^\d+$/.test(name)) throw bad(name, 'use named parameters ($name), not positional ones');
    const def = byName.get(name) ?? { name, type: 'text' as const };
    const raw = values[name] ?? def.default;
    const text = raw === undefined || raw === null ? '' : String(raw).trim();
    if (text === '') {
      p.bindNull(i);
      continue;
    }
    switch (def.type) {
      case 'number': {
        const n = Number(text);
        if (!Number.isFinite(n)) throw bad(name, `"${text.slice(0, 40)}" is not a number`);
        p.bindDouble(i, n);
        break;
      }
      case 'date': {
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
        const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : undefined;
        if (!m || !d || d.getUTCDate() !== +m[3]!) throw bad(name, `"${text.slice(0, 40)}" is not a date (YYYY-MM-DD)`);
        p.bindDate(i, DuckDBDateValue.fromParts({ year: +m[1]!, month: +m[2]!, day: +m[3]! }));
        break;
      }
      case 'boolean':
        if (!['true', 'false'].includes(text)) throw bad(name, 'must be true or false');
        p.bindBoolean(i, text === 'true');
        break;
      default:
        p.bindVarchar(i, text);
    }
  }
}
