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
  const seen = new Map<string, number>();
  return cells.map((c, i) => {
    let name = String(cellValue(c) ?? '').trim() || `column_${i + 1}`;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n > 1) name = `${name}_${n}`;
    return name;
  });
}
