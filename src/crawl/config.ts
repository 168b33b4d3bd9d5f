// Crawl sources: one YAML or JSON file each in NEXUS_CRAWL_DIR (default
// $NEXUS_HOME/crawl.d). Files are validated as a whole when read; a bad file
// is reported with its name and the field at fault, never half-used.

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseCrontab } from 'graphile-worker';
import { NexusError, EXIT_USAGE } from '../core/errors.ts';
import type { Settings } from '../core/settings.ts';

export const SOURCE_NAME = '^[a-z0-9][a-z0-9_.-]{0,62}$';
const KINDS = ['json_api', 'csv', 'xlsx', 'html_table', 'feed'] as const;
export type SourceKind = (typeof KINDS)[number];

const Limits = Type.Object({
  rate_per_second: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
  max_bytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
  backoff_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
  backoff_max_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
}, { additionalProperties: false });

const Pagination = Type.Object({
  style: Type.Union([Type.Literal('page'), Type.Literal('cursor'), Type.Literal('link')]),
  param: Type.Optional(Type.String({ minLength: 1 })),
  start: Type.Optional(Type.Integer({ minimum: 0 })),
  size_param: Type.Optional(Type.String({ minLength: 1 })),
  size: Type.Optional(Type.Integer({ minimum: 1 })),
  cursor_path: Type.Optional(Type.String({ minLength: 1 })),
  max_pages: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
}, { additionalProperties: false });

const SourceFile = Type.Object({
  name: Type.Optional(Type.String({ pattern: SOURCE_NAME })),
  kind: Type.Union(KINDS.map((k) => Type.Literal(k))),
  url: Type.String({ pattern: '^https?://' }),
  description: Type.Optional(Type.String()),
  schedule: Type.Optional(Type.String({ minLength: 9 })),
  entity: Type.Optional(Type.Object({
    type: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }),
    key: Type.String({ minLength: 1 }),
  }, { additionalProperties: false })),
  time_field: Type.Optional(Type.String({ minLength: 1 })),
  records_path: Type.Optional(Type.String()),
  pagination: Type.Optional(Pagination),
  selector: Type.Optional(Type.String({ minLength: 1 })),
  sheet: Type.Optional(Type.String({ minLength: 1 })),
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
  headers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String())),
  auth: Type.Optional(Type.Object({
    env: Type.String({ pattern: '^[A-Z][A-Z0-9_]*$' }),
    header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$' })),
    prefix: Type.Optional(Type.String()),
  }, { additionalProperties: false })),
  limits: Type.Optional(Limits),
  ca_file: Type.Optional(Type.String({ minLength: 1 })),
}, { additionalProperties: false });

type SourceFileData = Static<typeof SourceFile>;

export interface CrawlSource extends Omit<SourceFileData, 'name' | 'limits' | 'records_path'> {
  name: string;
  file: string;
  /** records_path split on dots ([] = the parsed body itself). */
  recordsPath: string[];
  limits: Required<Static<typeof Limits>>;
}

export const DEFAULT_LIMITS: CrawlSource['limits'] = {
  rate_per_second: 1,
  concurrency: 2,
  timeout_ms: 30_000,
  max_bytes: 50 * 1024 * 1024,
  retries: 3,
  backoff_ms: 1000,
  backoff_max_ms: 60_000,
};

export function crawlDir(settings: Settings): string {
  return path.resolve(settings.home, settings.crawlDir ?? 'crawl.d');
}

function invalid(file: string, msg: string): NexusError {
  return new NexusError('crawl_source_invalid', `${file}: ${msg}`, { exitCode: EXIT_USAGE });
}

export function parseSource(file: string, content: string): CrawlSource {
  let data: unknown;
  try {
    data = /\.json$/i.test(file) ? JSON.parse(content) : parseYaml(content);
  } catch (err) {
    throw invalid(file, `not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!Value.Check(SourceFile, data)) {
    const first = [...Value.Errors(SourceFile, data)][0]!;
    throw invalid(file, `${first.path || '(top level)'}: ${first.message}`);
  }
  const d = data as SourceFileData;
  const name = d.name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, '');
  if (!new RegExp(SOURCE_NAME).test(name)) throw invalid(file, `the source name "${name}" must match ${SOURCE_NAME}`);
  if (d.kind === 'html_table' && !d.selector) throw invalid(file, 'an html_table source needs a CSS `selector`');
  if (d.pagination && d.kind !== 'json_api') throw invalid(file, 'pagination is for json_api sources');
  if (d.pagination?.style === 'cursor' && !d.pagination.cursor_path) throw invalid(file, 'cursor pagination needs `cursor_path`');
  if (d.schedule) {
    try {
      parseCrontab(`${d.schedule} crawl_source`);
    } catch (err) {
      throw invalid(file, `schedule "${d.schedule}" is not a 5-field cron expression: ${(err as Error).message}`);
    }
  }
  const { records_path, limits, name: _n, ...rest } = d;
  return {
    ...rest,
    name,
    file,
    recordsPath: records_path ? records_path.split('.').filter(Boolean) : [],
    limits: { ...DEFAULT_LIMITS, ...limits },
  };
}

/** The valid sources of the directory and the errors of the others (a service keeps running on the good ones). */
export function scanSources(dir: string): { sources: CrawlSource[]; errors: NexusError[] } {
  const out = new Map<string, CrawlSource>();
  const errors: NexusError[] = [];
  if (!existsSync(dir)) return { sources: [], errors };
  for (const f of readdirSync(dir).filter((x) => /\.(ya?ml|json)$/i.test(x) && !x.startsWith('.')).sort()) {
    try {
      const s = parseSource(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8'));
      const prev = out.get(s.name);
      if (prev) throw invalid(s.file, `source name "${s.name}" is also used by ${prev.file}`);
      out.set(s.name, s);
    } catch (err) {
      errors.push(err instanceof NexusError ? err : invalid(path.join(dir, f), (err as Error).message));
    }
  }
  return { sources: [...out.values()].sort((a, b) => a.name.localeCompare(b.name)), errors };
}

/** Every source in the directory, sorted by name; any invalid file or duplicate name is an error. */
export function loadSources(dir: string): CrawlSource[] {
  const { sources, errors } = scanSources(dir);
  if (errors.length) throw errors[0]!;
  return sources;
}

/**
 * One source by name. Files are read one by one so that a mistake in another
 * source's file does not stop this one; that file's error is reported only
 * when the name is not found.
 */
export function findSource(dir: string, name: string): CrawlSource {
  let firstError: unknown;
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((x) => /\.(ya?ml|json)$/i.test(x) && !x.startsWith('.')).sort()) {
      try {
        const s = parseSource(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8'));
        if (s.name === name) return s;
      } catch (err) {
        firstError ??= err;
      }
    }
  }
  if (firstError) throw firstError;
  throw new NexusError('crawl_source_unknown', `No crawl source "${name}" in ${dir}; \`nexus crawl list\` shows the sources.`, { exitCode: EXIT_USAGE });
}
