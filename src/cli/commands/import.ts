// `nexus import <file> --source <name> [--format …] [--force]`.

import type { Command } from 'commander';
import { getRuntime } from '../runtime.ts';
import { openDatabase } from '../../db/connection.ts';
import { importFile } from '../../imports/importer.ts';
import { progressBar } from '../../imports/progress.ts';
import { formatSummary } from '../../imports/summary.ts';
import path from 'node:path';

interface Opts {
  source: string;
  format?: string;
  sheet?: string;
  force?: boolean;
  entityType?: string;
  key?: string;
  timeField?: string;
  description?: string;
  json?: boolean;
  progress?: boolean;
}

export function registerImport(program: Command): void {
  program
    .command('import <file>')
    .description('load a CSV, TSV, JSON, NDJSON or XLSX file into staging (streamed with COPY; bad rows reported by line)')
    .requiredOption('--source <name>', 'the source the rows come from (lowercase name)')
    .option('--format <format>', 'csv | tsv | json | ndjson | xlsx (default: from the file extension)')
    .option('--sheet <name>', 'XLSX: the sheet to read (default: the first)')
    .option('--force', 'import a file that was imported before (same sha256)')
    .option('--entity-type <type>', 'the rows describe entities of this type (reference data for warehouse.dim_entity)')
    .option('--key <field>', 'with --entity-type: the field that identifies an entity')
    .option('--time-field <field>', 'the field that says when a row happened (default: the time of the import)')
    .option('--description <text>', 'what this source is, for the warehouse')
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (file: string, opts: Opts) => {
      const rt = getRuntime();
      const { db } = await openDatabase(rt.settings);
      const bar = progressBar(path.basename(file), { enabled: opts.progress !== false && !opts.json && process.stderr.isTTY === true });
      try {
        const summary = await importFile(db, {
          file, source: opts.source, via: 'cli', force: !!opts.force, onProgress: bar.update,
          ...(opts.format ? { format: opts.format } : {}),
          ...(opts.sheet ? { sheet: opts.sheet } : {}),
          ...(opts.entityType ? { entityType: opts.entityType } : {}),
          ...(opts.key ? { keyField: opts.key } : {}),
          ...(opts.timeField ? { timeField: opts.timeField } : {}),
          ...(opts.description ? { description: opts.description } : {}),
        });
        bar.stop();
        process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
        if (summary.rows_rejected > 0) process.exitCode = 3;
      } finally {
        bar.stop();
        await db.close();
      }
    });
}
