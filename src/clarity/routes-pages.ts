// The HTML pages: home (dashboards, questions, freshness), a dashboard, the
// SQL editor, saved questions. Each is a shell; static/app.js draws it.

import type { FastifyInstance } from 'fastify';
import type { ClarityApp } from './server.ts';
import { requireRole, isEditor } from './server.ts';
import { page, esc } from './pages.ts';
import { getDashboard, listDashboards } from './dashboards.ts';
import { getQuestion, listQuestions } from './questions.ts';

export function registerPages(app: FastifyInstance, ctx: ClarityApp): void {
  const html = 'text/html; charset=utf-8';

  app.get('/', async (req, reply) => {
    const s = req.session!;
    const dashboards = listDashboards(ctx.store).map((d) => ({ id: d.id, title: d.title, description: d.description ?? '', builtin: !!d.builtin }));
    const body = `<h1>Dashboards</h1><ul class="cards">${dashboards
      .map((d) => `<li><a href="/dashboards/${esc(d.id)}">${esc(d.title)}</a><p>${esc(d.description)}</p></li>`)
      .join('')}</ul><h2>Saved questions</h2><ul class="list">${listQuestions(ctx.store)
      .map((q) => `<li><a href="/questions/${esc(q.id)}">${esc(q.title)}</a> <small>${esc(q.chart.type)} · ${esc(q.owner)}</small></li>`)
      .join('') || '<li>None yet.</li>'}</ul>`;
    return reply.type(html).send(page('Home', s, 'home', { dashboards }, body));
  });

  app.get<{ Params: { id: string } }>('/dashboards/:id', async (req, reply) => {
    const d = getDashboard(ctx.store, req.params.id);
    const data = { dashboard: { ...d, charts: d.charts.map(({ sql: _s, drill, ...c }) => ({ ...c, drillable: true, hasDrill: !!drill })) } };
    return reply.type(html).send(page(d.title, req.session, 'dashboard', data, `<h1>${esc(d.title)}</h1><p class="muted">${esc(d.description ?? '')}</p>`));
  });

  app.get('/questions', async (req, reply) => {
    const body = `<h1>Saved questions</h1><ul class="list">${listQuestions(ctx.store)
      .map((q) => `<li><a href="/questions/${esc(q.id)}">${esc(q.title)}</a> <small>${esc(q.chart.type)} · ${esc(q.owner)} · ${esc(q.updated_at.slice(0, 10))}</small></li>`)
      .join('') || '<li>None yet.</li>'}</ul>`;
    return reply.type(html).send(page('Questions', req.session, 'questions', {}, body));
  });

  app.get<{ Params: { id: string } }>('/questions/:id', async (req, reply) => {
    const q = getQuestion(ctx.store, req.params.id);
    return reply.type(html).send(page(q.title, req.session, 'question', { question: q, editable: isEditor(req.session!.role) }, `<h1>${esc(q.title)}</h1>`));
  });

  app.get<{ Querystring: { question?: string } }>('/sql', async (req, reply) => {
    requireRole(req, isEditor, 'write SQL');
    const q = req.query.question ? getQuestion(ctx.store, req.query.question) : undefined;
    return reply.type(html).send(page('SQL editor', req.session, 'sql', { question: q ?? null }, '<h1>SQL editor</h1>'));
  });
}
