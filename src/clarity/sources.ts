// Extra sources next to the marts: CSV and Parquet files placed in
// $NEXUS_HOME/clarity/sources (imported as tables of schema `files`), and
// other PostgreSQL databases (copied like the marts, into schemas named
// <source>_<schema>). Definitions live in the state store.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { NexusError, usageError } from '../core/errors.ts';
import type { Engine } from './engine.ts';
import type { JsonStore } from './store.ts';
import { duckIdent, duckString } from './ddl.ts';
import { refreshPgSource, type RefreshResult } from './refresh.ts';

export interface FileSource {
  name: string;
  kind: 'csv' | 'parquet';
  file: string; // relative to the sources folder
}

export interface PgSource {
  name: string;
  kind: 'postgres';
  url: string;
  schemas: string[];
}

export type Source = FileSource | PgSource;

function checkName(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(name) || name.startsWith('mart_') || name === 'files' || name === 'clarity_meta') {
    throw usageError('clarity_source_invalid', `"${name}" is not a valid source name: lower-case letters, digits, _; not mart_*`);
  }
}

export async function loadFileSource(engine: Engine, s: FileSource): Promise<number> {
  const file = path.resolve(engine.paths.sources, s.file);
  if (!file.startsWith(engine.paths.sources + path.sep)) throw usageError('clarity_source_invalid', `${s.file} is not inside ${engine.paths.sources}`);
  if (!existsSync(file)) throw new NexusError('clarity_source_missing', `${file} does not exist`, { status: 404, exitCode: 2 });
  const reader = s.kind === 'csv' ? `read_csv(${duckString(file)})` : `read_parquet(${duckString(file)})`;
  return engine.exclusive(() =>
    engine.with(async (c) => {
      await c.run('CREATE SCHEMA IF NOT EXISTS files');
      await c.run(`CREATE OR REPLACE TABLE files.${duckIdent(s.name)} AS SELECT * FROM ${reader}`);
      const r = await c.runAndReadAll(`SELECT count(*)::BIGINT FROM files.${duckIdent(s.name)}`);
      return Number(r.getRows()[0]![0]);
    }),
  );
}

export function listSources(store: JsonStore): Source[] {
  return store.read<Source>('sources');
}

export async function addSource(engine: Engine, store: JsonStore, s: Source): Promise<number | RefreshResult> {
  checkName(s.name);
  if (listSources(store).some((x) => x.name === s.name)) throw usageError('clarity_source_exists', `source ${s.name} exists already`);
  const loaded = s.kind === 'postgres' ? await refreshPgSource(engine, s.name, s.url, s.schemas) : await loadFileSource(engine, s);
  store.update<Source>('sources', (all) => [...all, s]);
  return loaded;
}

/** Re-reads every extra source; failures are reported, not thrown, so one broken source does not stop the rest. */
export async function refreshSources(engine: Engine, store: JsonStore): Promise<Array<{ name: string; error?: string }>> {
  const out: Array<{ name: string; error?: string }> = [];
  for (const s of listSources(store)) {
    try {
      if (s.kind === 'postgres') await refreshPgSource(engine, s.name, s.url, s.schemas);
      else await loadFileSource(engine, s);
      out.push({ name: s.name });
    } catch (err) {
      out.push({ name: s.name, error: (err as Error).message });
    }
  }
  return out;
}
