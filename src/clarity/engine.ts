// The DuckDB engine: one instance on $NEXUS_HOME/clarity/clarity.duckdb.
// File access is limited to Clarity's own sources/ and work/ folders
// (allowed_directories, then enable_external_access = false), extensions are
// never installed or loaded, and the configuration is locked, so SQL typed in
// the editor can neither reach other files nor loosen these settings.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ClarityPaths } from './paths.ts';
import { ensureClarityDirs } from './paths.ts';

export interface EngineOptions {
  memoryLimit?: string;
  threads?: number;
}

export class Engine {
  readonly paths: ClarityPaths;
  private readonly instance: DuckDBInstance;
  /** The refresh's connection: one writer at a time. */
  private writer: Promise<unknown> = Promise.resolve();

  private constructor(paths: ClarityPaths, instance: DuckDBInstance) {
    this.paths = paths;
    this.instance = instance;
  }

  static async open(paths: ClarityPaths, opts: EngineOptions = {}): Promise<Engine> {
    ensureClarityDirs(paths);
    const instance = await DuckDBInstance.create(paths.duckdb, {
      threads: String(opts.threads ?? 2),
      memory_limit: opts.memoryLimit ?? '1GB',
      temp_directory: `${paths.work}/duckdb.tmp`,
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const c = await instance.connect();
    try {
      const dirs = [paths.sources, paths.work].map((d) => `'${d.replaceAll("'", "''")}/'`).join(', ');
      await c.run(`SET allowed_directories = [${dirs}]`);
      await c.run("SET TimeZone = 'UTC'");
      await c.run('SET enable_external_access = false');
      await c.run('SET lock_configuration = true');
      await c.run('CREATE SCHEMA IF NOT EXISTS clarity_meta');
      await c.run(`CREATE TABLE IF NOT EXISTS clarity_meta.refresh_state (
        source VARCHAR, table_schema VARCHAR, table_name VARCHAR, watermark VARCHAR, row_count BIGINT,
        refreshed_at TIMESTAMPTZ, data_as_of TIMESTAMPTZ, mode VARCHAR, signature VARCHAR, PRIMARY KEY (source, table_schema, table_name))`);
    } finally {
      c.closeSync();
    }
    return new Engine(paths, instance);
  }

  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** Runs `fn` with a connection of its own, closed afterwards. */
  async with<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = await this.instance.connect();
    try {
      return await fn(c);
    } finally {
      c.closeSync();
    }
  }

  /** Serialises writers (refreshes, source imports) so they never interleave. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writer.then(fn, fn);
    this.writer = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.instance.closeSync();
  }
}
