// Dashboards: a grid of charts sharing global filters. The built-in ones are
// code (builtin.ts); editors add their own, made of charts whose SQL may use
// the same filter parameters. Charts run through the read-only query path.

import { randomUUID } from 'node:crypto';
import { NexusError, usageError } from '../core/errors.ts';
import type { Engine } from './engine.ts';
import type { JsonStore } from './store.ts';
import { runQuery, type QueryResult } from './query.ts';
import type { ParamDef } from './params.ts';
import { BUILTIN_DASHBOARDS } from './builtin.ts';

export const CHART_TYPES = ['line', 'bar', 'area', 'pie', 'table', 'number', 'pivot'] as const;
export type ChartType = (typeof CHART_TYPES)[number];
export type FilterName = 'date' | 'device' | 'group';

export interface Chart {
  id: string;
  title: string;
  type: ChartType;
  sql: string;
  /** Grid columns out of 12. */
  w: number;
  x?: string;
  y?: string[];
  /** Column that splits values into series (bar, line, area) or pivot columns. */
  series?: string;
  /** SQL for the rows behind a point: the filters plus $x (and $series). */
  drill?: string;
  filters: FilterName[];
}

export interface Dashboard {
  id: string;
  title: string;
  description?: string;
  builtin?: boolean;
  owner?: string;
  charts: Chart[];
}

export interface Filters {
  date_from?: string;
  date_to?: string;
  device?: string;
  group_name?: string;
}

export const FILTER_PARAMS: ParamDef[] = [
  { name: 'date_from', type: 'date' },
  { name: 'date_to', type: 'date' },
  { name: 'device', type: 'text' },
  { name: 'group_name', type: 'text' },
  { name: 'x', type: 'text' },
  { name: 'series', type: 'text' },
];

export function listDashboards(store: JsonStore): Dashboard[] {
  return [...BUILTIN_DASHBOARDS, ...store.read<Dashboard>('dashboards')];
}

export function getDashboard(store: JsonStore, id: string): Dashboard {
  const d = listDashboards(store).find((x) => x.id === id);
  if (!d) throw new NexusError('clarity_dashboard_unknown', `There is no dashboard ${id}.`, { status: 404 });
  return d;
}

function chartOf(d: Dashboard, chartId: string): Chart {
  const c = d.charts.find((x) => x.id === chartId);
  if (!c) throw new NexusError('clarity_chart_unknown', `Dashboard ${d.id} has no chart ${chartId}.`, { status: 404 });
  return c;
}

function filterValues(f: Filters, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { date_from: f.date_from, date_to: f.date_to, device: f.device, group_name: f.group_name, ...extra };
}

export async function runChart(engine: Engine, store: JsonStore, dashboardId: string, chartId: string, f: Filters): Promise<QueryResult> {
  const c = chartOf(getDashboard(store, dashboardId), chartId);
  return runQuery(engine, { sql: c.sql, params: FILTER_PARAMS, values: filterValues(f) }, 10_000);
}

export async function drillChart(engine: Engine, store: JsonStore, dashboardId: string, chartId: string, f: Filters, x: string | undefined, series: string | undefined): Promise<QueryResult> {
  const c = chartOf(getDashboard(store, dashboardId), chartId);
  // Without drill SQL, a chart drills to its own result.
  const sql = c.drill ?? c.sql;
  return runQuery(engine, { sql, params: FILTER_PARAMS, values: filterValues(f, { x, series }) }, 1000);
}

export function checkChart(c: Partial<Chart>, i: number): Chart {
  if (!c || typeof c.sql !== 'string' || !c.sql.trim()) throw usageError('clarity_chart_invalid', `chart ${i + 1}: sql is required`);
  if (!(CHART_TYPES as readonly string[]).includes(String(c.type))) throw usageError('clarity_chart_invalid', `chart ${i + 1}: type must be one of ${CHART_TYPES.join(', ')}`);
  return {
    id: typeof c.id === 'string' && /^[a-z0-9-]{1,40}$/.test(c.id) ? c.id : `c${i + 1}`,
    title: String(c.title ?? `Chart ${i + 1}`).slice(0, 200),
    type: c.type as ChartType,
    sql: c.sql,
    w: Math.min(12, Math.max(2, Math.round(Number(c.w) || 6))),
    ...(c.x ? { x: String(c.x) } : {}),
    ...(Array.isArray(c.y) ? { y: c.y.map(String) } : {}),
    ...(c.series ? { series: String(c.series) } : {}),
    ...(c.drill ? { drill: String(c.drill) } : {}),
    filters: (Array.isArray(c.filters) ? c.filters : []).filter((x): x is FilterName => ['date', 'device', 'group'].includes(String(x))),
  };
}

export function saveDashboard(store: JsonStore, owner: string, input: { id?: string; title?: string; description?: string; charts?: Partial<Chart>[] }): Dashboard {
  if (!input.title?.trim()) throw usageError('clarity_dashboard_invalid', 'A dashboard needs a title.');
  if (input.id && BUILTIN_DASHBOARDS.some((b) => b.id === input.id)) throw new NexusError('clarity_dashboard_builtin', 'Built-in dashboards cannot be changed; save a copy.', { status: 409 });
  const d: Dashboard = { id: input.id ?? randomUUID(), title: input.title.trim().slice(0, 200), description: input.description?.slice(0, 1000) ?? '', owner, charts: (input.charts ?? []).map(checkChart) };
  store.update<Dashboard>('dashboards', (all) => [...all.filter((x) => x.id !== d.id), d]);
  return d;
}

export function deleteDashboard(store: JsonStore, id: string): void {
  store.update<Dashboard>('dashboards', (all) => {
    if (!all.some((x) => x.id === id)) throw new NexusError('clarity_dashboard_unknown', `There is no dashboard ${id}.`, { status: 404 });
    return all.filter((x) => x.id !== id);
  });
}
