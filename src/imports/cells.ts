// Spreadsheet cells (exceljs) as plain JSON values: dates as ISO strings,
// formulas as their cached result, rich text and hyperlinks as their text.

export function cellValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('result' in o) return cellValue(o.result);
  if (Array.isArray(o.richText)) return (o.richText as Array<{ text?: string }>).map((r) => r.text ?? '').join('');
  if ('text' in o) return cellValue(o.text);
  if ('error' in o) return null;
  return JSON.stringify(o);
}

/** Header cells to unique, non-empty column names (blank → column_N, repeats → name_2). */
export function headerNames(cells: unknown[]): string[] {
  const taken = new Set<string>();
  const last = new Map<string, number>();
  return cells.map((c, i) => {
    const base = String(cellValue(c) ?? '').trim() || `column_${i + 1}`;
    let name = base;
    // A suffixed name can itself be taken (a, a_2, a): count on until free,
    // or two columns would share a key and one of them vanish in jsonb.
    if (taken.has(name)) {
      let n = last.get(base) ?? 1;
      do name = `${base}_${++n}`; while (taken.has(name));
      last.set(base, n);
    }
    taken.add(name);
    return name;
  });
}
