// JSON API and downloads used by static/app.js. Viewers run dashboards and
// saved questions; editors also run their own SQL and save; admins add
// sources. Exports are form posts (a browser download), CSRF in the form.

import type { FastifyInstance } from 'fastify';
import type { ClarityApp } from './server.ts';
import { requireRole, isEditor, isAdmin } from './server.ts';
import { NexusError } from '../core/errors.ts';
import { runQuery, type QueryInput } from './query.ts';
import { checkParamDefs } from './params.ts';
import { FILTER_PARAMS, drillChart, getDashboard, listDashboards, runChart, saveDashboard, deleteDashboard, type Filters } from './dashboards.ts';
import { deleteQuestion, getQuestion, listQuestions, saveQuestion, type Question } from './questions.ts';
import { engineSchema } from './schema.ts';
import { freshness } from './refresh.ts';
import { EXPORT_FORMATS, exportCsv, exportParquet, exportXlsx, type ExportFormat } from './export.ts';
import { addSource, listSources, type Source } from './sources.ts';

type QueryBody = { sql?: string; params?: unknown; values?: Record<string, unknown>; question_id?: string; dashboard_id?: string; chart_id?: string };

function parseJson<T>(v: unknown, what: string): T | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return v as T;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw new NexusError('invalid_request', `${what} is not valid JSON.`, { status: 400 });
  }
}

export function registerApi(app: FastifyInstance, ctx: ClarityApp): void {
  /** A saved question (any role) or ad-hoc SQL (editors). */
  const queryInput = (req: Parameters<typeof requireRole>[0], b: QueryBody): QueryInput => {
    const values = parseJson<Record<string, unknown>>(b.values, 'values') ?? {};
    if (b.dashboard_id && b.chart_id) {
      const chart = getDashboard(ctx.store, b.dashboard_id).charts.find((c) => c.id === b.chart_id);
      if (!chart) throw new NexusError('clarity_chart_unknown', `Dashboard ${b.dashboard_id} has no chart ${b.chart_id}.`, { status: 404 });
      return { sql: chart.sql, params: FILTER_PARAMS, values };
    }
    if (b.question_id) {
      const q = getQuestion(ctx.store, b.question_id);
      return { sql: q.sql, params: q.params, values };
    }
    requireRole(req, isEditor, 'run SQL of their own');
    return { sql: String(b.sql ?? ''), params: checkParamDefs(parseJson(b.params, 'params')), values };
  };

  app.get('/api/me', async (req) => ({ user: req.session!.user, role: req.session!.role }));
  app.get('/api/schema', async () => ({ tables: await engineSchema(ctx.engine) }));
  app.get('/api/freshness', async () => ({ sources: await freshness(ctx.engine) }));
  app.post('/api/refresh', async (req) => {
    requireRole(req, isEditor, 'refresh data');
    await ctx.refresh();
    return { sources: await freshness(ctx.engine) };
  });

  app.get('/api/filters', async () => {
    const devices = await runQuery(ctx.engine, { sql: `SELECT device_id::VARCHAR AS id, coalesce(device_name, right(device_id::VARCHAR, 12)) AS name FROM mart_ops.device_status ORDER BY 2, 1` }).catch(() => ({ rows: [] }));
    const groups = await runQuery(ctx.engine, { sql: `SELECT DISTINCT unnest(groups) AS g FROM mart_ops.device_status ORDER BY 1` }).catch(() => ({ rows: [] }));
    return { devices: devices.rows.map(([id, name]) => ({ id, name })), groups: groups.rows.map(([g]) => g) };
  });

  app.post<{ Body: QueryBody }>('/api/query', async (req) => runQuery(ctx.engine, queryInput(req, req.body ?? {})));

  app.get('/api/questions', async () => ({ questions: listQuestions(ctx.store) }));
  app.post<{ Body: Partial<Question> }>('/api/questions', async (req, reply) => {
    const s = requireRole(req, isEditor, 'save questions');
    const q = saveQuestion(ctx.store, s.user, req.body ?? {});
    return reply.code(201).send(q);
  });
  app.delete<{ Params: { id: string } }>('/api/questions/:id', async (req, reply) => {
    requireRole(req, isEditor, 'delete questions');
    deleteQuestion(ctx.store, req.params.id);
    return reply.code(204).send();
  });

  app.get('/api/dashboards', async () => ({ dashboards: listDashboards(ctx.store).map(({ charts, ...d }) => ({ ...d, charts: charts.length })) }));
  app.get<{ Params: { id: string } }>('/api/dashboards/:id', async (req) => getDashboard(ctx.store, req.params.id));
  app.post<{ Body: Parameters<typeof saveDashboard>[2] }>('/api/dashboards', async (req, reply) => {
    const s = requireRole(req, isEditor, 'save dashboards');
    return reply.code(201).send(saveDashboard(ctx.store, s.user, req.body ?? {}));
  });
  app.delete<{ Params: { id: string } }>('/api/dashboards/:id', async (req, reply) => {
    requireRole(req, isEditor, 'delete dashboards');
    deleteDashboard(ctx.store, req.params.id);
    return reply.code(204).send();
  });
  app.post<{ Params: { id: string; chart: string }; Body: { filters?: Filters } }>('/api/dashboards/:id/charts/:chart', async (req) =>
    runChart(ctx.engine, ctx.store, req.params.id, req.params.chart, req.body?.filters ?? {}),
  );
  app.post<{ Params: { id: string; chart: string }; Body: { filters?: Filters; x?: string; series?: string } }>('/api/dashboards/:id/charts/:chart/drill', async (req) =>
    drillChart(ctx.engine, ctx.store, req.params.id, req.params.chart, req.body?.filters ?? {}, req.body?.x, req.body?.series),
  );

  app.get('/api/sources', async (req) => {
    requireRole(req, isAdmin, 'see sources');
    return { sources: listSources(ctx.store).map((s) => (s.kind === 'postgres' ? { ...s, url: s.url.replace(/:[^:@/]*@/, ':***@') } : s)) };
  });
  app.post<{ Body: Source }>('/api/sources', async (req, reply) => {
    requireRole(req, isAdmin, 'add sources');
    const loaded = await addSource(ctx.engine, ctx.store, req.body);
    return reply.code(201).send({ name: req.body.name, loaded });
  });

  // Downloads: a form post so the browser saves the file. Streamed.
  app.post<{ Body: QueryBody & { format?: string; filename?: string } }>('/export', async (req, reply) => {
    const body = req.body ?? {};
    const format = String(body.format ?? 'csv') as ExportFormat;
    if (!(format in EXPORT_FORMATS)) throw new NexusError('invalid_request', 'format must be csv, xlsx or parquet', { status: 400 });
    const q = queryInput(req, body);
    const base = String(body.filename ?? 'clarity-export').replace(/[^\w.-]+/g, '_').slice(0, 80) || 'clarity-export';
    // Errors in the SQL surface before the download starts: check it on a probe first.
    await runQuery(ctx.engine, q, 1);
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': EXPORT_FORMATS[format].type,
      'content-disposition': `attachment; filename="${base}.${EXPORT_FORMATS[format].ext}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    try {
      if (format === 'csv') await exportCsv(ctx.engine, q, out);
      else if (format === 'xlsx') await exportXlsx(ctx.engine, q, out);
      else await exportParquet(ctx.engine, q, out);
    } catch (err) {
      req.log.error({ err }, 'export failed mid-stream');
      out.destroy(err as Error);
    }
  });
}
