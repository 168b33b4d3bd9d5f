// Identifiers cannot be bound as parameters; they go through this helper and
// nowhere else. Values are always bound ($1, $2, …).

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error(`invalid SQL identifier: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}
