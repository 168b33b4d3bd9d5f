// Which format a file is in: from --format, else from its extension; then a
// look at its first bytes, so that a workbook named .csv or a JSON file
// named .csv is refused with a clear message instead of loading garbage.

import { open } from 'node:fs/promises';
import path from 'node:path';
import { NexusError, usageError } from '../core/errors.ts';

export const FORMATS = ['csv', 'tsv', 'json', 'ndjson', 'xlsx'] as const;
export type Format = (typeof FORMATS)[number];

const BY_EXTENSION: Record<string, Format> = {
  '.csv': 'csv', '.tsv': 'tsv', '.tab': 'tsv', '.json': 'json', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.xlsx': 'xlsx',
};

export function isFormat(v: string): v is Format {
  return (FORMATS as readonly string[]).includes(v);
}

export function formatFor(fileName: string, explicit?: string): Format {
  if (explicit !== undefined) {
    if (!isFormat(explicit)) throw usageError('import_format_invalid', `--format ${explicit} is not one of ${FORMATS.join(', ')}`);
    return explicit;
  }
  const f = BY_EXTENSION[path.extname(fileName).toLowerCase()];
  if (!f) throw usageError('import_format_unknown', `Cannot tell the format of ${path.basename(fileName)} from its extension; pass --format ${FORMATS.join('|')}`);
  return f;
}

function mismatch(name: string, format: Format, looksLike: string): NexusError {
  return new NexusError('import_format_mismatch', `${name} is not ${format.toUpperCase()}: it looks like ${looksLike}. Pass the right --format or fix the file.`, { status: 415, exitCode: 2 });
}

/** Reads the first 8 KiB and refuses what is plainly another kind of file. */
export async function sniff(file: string, format: Format, name = path.basename(file)): Promise<void> {
  const fh = await open(file, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head.length === 0) throw new NexusError('import_empty', `${name} is empty: there is nothing to import.`, { status: 422, exitCode: 1 });
  const zip = head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  if (format === 'xlsx') {
    if (!zip) throw mismatch(name, format, 'a text file (an XLSX workbook is a ZIP archive)');
    return;
  }
  if (zip) throw mismatch(name, format, 'a ZIP archive or XLSX workbook (use --format xlsx for workbooks)');
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new NexusError('import_encoding', `${name} is UTF-16 encoded; save it as UTF-8 and import again.`, { status: 415, exitCode: 2 });
  }
  if (head.includes(0)) throw mismatch(name, format, 'a binary file');
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (!text) return;
  const first = text[0]!;
  if ((format === 'csv' || format === 'tsv') && (first === '{' || first === '[')) throw mismatch(name, format, 'JSON');
  if ((format === 'csv' || format === 'tsv') && first === '<') throw mismatch(name, format, 'HTML or XML');
  if (format === 'json' && first === '{') throw mismatch(name, format, 'NDJSON or a single object (a JSON import is an array of objects; use --format ndjson for one object per line)');
  if (format === 'json' && first !== '[') throw mismatch(name, format, 'something other than a JSON array');
  if (format === 'ndjson' && first !== '{') throw mismatch(name, format, first === '[' ? 'a JSON array (use --format json)' : 'something other than JSON objects, one per line');
}
