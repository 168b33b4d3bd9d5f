// ETL models: one .sql file each under models/<layer>/, named like dbt
// (stg_ views, dim_/fct_ warehouse tables, mart_ models). A header of
// `-- key: value` lines declares what the runner needs:
//
//   -- model: dim_entity                 (must match the file name)
//   -- kind: incremental | view          (views are (re)created at setup, as nexus_owner)
//   -- depends_on: stg_sync_ops, dim_source
//   -- targets: warehouse.dim_entity     (tables a --full-refresh empties)
//   -- sources: staging.sync_inbound     (tables read by txid window: the backlog)
//
// An incremental model reads the rows whose transaction id lies in the run's
// window: current_setting('nexus.etl_from')::xid8 ≤ txid < current_setting('nexus.etl_to')::xid8.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NexusError } from '../core/errors.ts';

export const MODELS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'models');
export const TESTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tests');

export type Layer = 'staging' | 'warehouse' | 'marts';
export const LAYERS: Layer[] = ['staging', 'warehouse', 'marts'];

export interface Model {
  name: string;
  layer: Layer;
  kind: 'incremental' | 'view';
  dependsOn: string[];
  targets: string[];
  /** Tables whose new rows (by txid) feed the model: its backlog in `nexus etl status`. */
  sources: string[];
  sql: string;
  file: string;
}

export interface DataTest {
  name: string;
  model: string;
  severity: 'error' | 'warn';
  sql: string;
}

function header(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of sql.split('\n')) {
    const m = /^--\s*([a-z_]+):\s*(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!.trim());
    else if (line.trim() && !line.trim().startsWith('--')) break;
  }
  return out;
}

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

export function loadModels(dir = MODELS_DIR): Model[] {
  const models: Model[] = [];
  for (const layer of LAYERS) {
    for (const file of readdirSync(path.join(dir, layer)).filter((f) => f.endsWith('.sql')).sort()) {
      const sql = readFileSync(path.join(dir, layer, file), 'utf8');
      const h = header(sql);
      const name = file.replace(/\.sql$/, '');
      if (h.get('model') !== name) throw new NexusError('etl_model_invalid', `${layer}/${file}: the header must say "-- model: ${name}"`);
      const kind = h.get('kind') ?? 'incremental';
      if (kind !== 'incremental' && kind !== 'view') throw new NexusError('etl_model_invalid', `${file}: kind must be incremental or view`);
      models.push({ name, layer, kind, dependsOn: list(h.get('depends_on')), targets: list(h.get('targets')), sources: list(h.get('sources')), sql, file: path.join(layer, file) });
    }
  }
  return sortModels(models);
}

/** Dependency order (stable by layer, then name); cycles and unknown names are errors. */
export function sortModels(models: Model[]): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: Model[] = [];
  const visit = (m: Model, from?: string): void => {
    if (done.has(m.name)) return;
    if (visiting.has(m.name)) throw new NexusError('etl_model_cycle', `ETL models depend on each other in a cycle through ${m.name}`);
    visiting.add(m.name);
    for (const d of m.dependsOn) {
      const dep = byName.get(d);
      if (!dep) throw new NexusError('etl_model_invalid', `${m.name} depends on unknown model ${d}${from ? '' : ''}`);
      visit(dep, m.name);
    }
    visiting.delete(m.name);
    done.add(m.name);
    out.push(m);
  };
  models.forEach((m) => visit(m));
  return out;
}

/** The models downstream of (and including) `names`. */
export function downstream(models: Model[], names: string[]): Set<string> {
  const out = new Set(names);
  for (const m of models) if (m.dependsOn.some((d) => out.has(d))) out.add(m.name);
  return out;
}

export function loadDataTests(dir = TESTS_DIR): DataTest[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const sql = readFileSync(path.join(dir, file), 'utf8');
      const h = header(sql);
      const model = h.get('model');
      if (!model) throw new NexusError('etl_test_invalid', `tests/${file}: the header must name its "-- model:"`);
      const severity = h.get('severity') === 'warn' ? 'warn' : 'error';
      return { name: file.replace(/\.sql$/, ''), model, severity, sql };
    });
}
