// The summary a person reads at the end of an import.

import type { ImportSummary } from './importer.ts';
import { KEPT_REJECTS } from './importer.ts';

const SHOWN = 20;

export function formatSummary(s: ImportSummary): string {
  const secs = s.ms / 1000;
  const lines = [
    `imported ${s.file_name} into source "${s.source}" (${s.format}, ${s.bytes} bytes, sha256 ${s.file_sha256})${s.forced ? ' again (--force)' : ''}`,
    `  import id      ${s.import_id}`,
    `  rows loaded    ${s.rows_loaded}`,
    `  rows rejected  ${s.rows_rejected}`,
    `  time           ${secs.toFixed(1)} s (${Math.round(s.rows_loaded / Math.max(secs, 0.001))} rows/s)`,
  ];
  if (s.rejects.length) {
    lines.push('  bad rows (kept out of staging):');
    for (const r of s.rejects.slice(0, SHOWN)) lines.push(`    line ${r.line}: ${r.reason}${r.excerpt ? `  | ${r.excerpt.replace(/\s+/g, ' ').slice(0, 80)}` : ''}`);
    const more = s.rows_rejected - Math.min(SHOWN, s.rejects.length);
    if (more > 0) lines.push(`    … and ${more} more (the first ${KEPT_REJECTS} are in nexus.import_rejects for import ${s.import_id})`);
  }
  return lines.join('\n') + '\n';
}
