// Clarity's pages: reads the page's JSON block and draws it. One module, no
// framework; charts come from charts.js.

import { renderChart, table, h } from './charts.js';

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const role = document.body.dataset.role;
const data = JSON.parse(document.getElementById('page-data')?.textContent || '{}');
const main = document.querySelector('main');

async function api(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (res.status === 204) return null;
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(json.detail || `HTTP ${res.status}`), { status: res.status, code: json.code });
  return json;
}

function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err.message);
}

/** A form post that the browser turns into a download (exports stream from the server). */
function download(fields) {
  const f = h('form', { method: 'post', action: '/export', class: 'hidden' });
  for (const [k, v] of Object.entries({ ...fields, csrf })) {
    if (v !== undefined) f.append(h('input', { type: 'hidden', name: k, value: typeof v === 'string' ? v : JSON.stringify(v) }));
  }
  document.body.append(f);
  f.submit();
  setTimeout(() => f.remove(), 1000);
}

function exportButtons(fields, name) {
  return h('span', { class: 'exports' }, 'Export: ',
    ...['csv', 'xlsx', 'parquet'].map((format) => h('button', { type: 'button', class: 'link', 'data-export': format, onclick: () => download({ ...fields, format, filename: name }) }, format.toUpperCase())));
}

function hash(s) {
  let x = 0;
  for (let i = 0; i < s.length; i++) x = (Math.imul(x, 31) + s.charCodeAt(i)) | 0;
  return (x >>> 0).toString(16);
}

async function freshness() {
  const box = document.getElementById('freshness');
  if (!box) return;
  try {
    const { sources } = await api('GET', '/api/freshness');
    const marts = sources.find((s) => s.source === 'marts');
    box.replaceChildren(marts
      ? `Data as of ${(marts.data_as_of ?? marts.refreshed_at ?? '').slice(0, 16).replace('T', ' ')} UTC · copied ${(marts.refreshed_at ?? '').slice(11, 16)}`
      : 'Not refreshed yet');
    box.title = sources.map((s) => `${s.source}: ${s.tables} tables, ${s.rows} rows, refreshed ${s.refreshed_at}`).join('\n');
    if (role !== 'viewer') {
      box.append(' ', h('button', { type: 'button', class: 'link', id: 'refresh-now', onclick: async (e) => {
        e.target.disabled = true;
        try { await api('POST', '/api/refresh'); location.reload(); } catch (err) { box.append(errorBox(err)); }
      } }, 'Refresh now'));
    }
  } catch { box.textContent = ''; }
}

// ── dashboards ────────────────────────────────────────────────────────────
async function dashboardPage() {
  const d = data.dashboard;
  const filters = {};
  const bar = h('form', { class: 'filters', id: 'filters' });
  const from = h('input', { type: 'date', name: 'date_from', id: 'filter-date-from' });
  const to = h('input', { type: 'date', name: 'date_to', id: 'filter-date-to' });
  const device = h('select', { name: 'device', id: 'filter-device' }, h('option', { value: '' }, 'All devices'));
  const group = h('select', { name: 'group_name', id: 'filter-group' }, h('option', { value: '' }, 'All groups'));
  bar.append(h('label', {}, 'From ', from), h('label', {}, 'To ', to), h('label', {}, 'Device ', device), h('label', {}, 'Group ', group),
    h('button', { type: 'reset', class: 'link' }, 'Clear'));
  const grid = h('div', { class: 'grid' });
  const dialog = h('dialog', { id: 'drill' });
  main.append(bar, grid, dialog);
  api('GET', '/api/filters').then(({ devices, groups }) => {
    devices.forEach((x) => device.append(h('option', { value: x.id }, x.name)));
    groups.forEach((g) => group.append(h('option', { value: g }, g)));
  }).catch(() => undefined);

  const cards = d.charts.map((c) => {
    const body = h('div', { class: 'chart-body' });
    const card = h('section', { class: `card w${c.w}`, 'data-chart': c.id, 'data-type': c.type, 'data-filters': c.filters.join(' '), 'data-version': '0' },
      h('header', {}, h('h2', {}, c.title), h('small', { class: 'muted', title: 'Global filters this chart follows' }, c.filters.length ? `filters: ${c.filters.join(', ')}` : 'live status, not filtered')),
      body, h('footer', {}, exportButtons({ dashboard_id: d.id, chart_id: c.id, values: filters }, c.id)));
    return { c, card, body };
  });
  cards.forEach(({ card }) => grid.append(card));

  const drill = async (c, pick) => {
    dialog.replaceChildren(h('header', {}, h('h2', {}, `${c.title}${pick.x ? ` · ${pick.x}` : ''}${pick.series ? ` · ${pick.series}` : ''}`),
      h('button', { type: 'button', class: 'link', onclick: () => dialog.close() }, 'Close')), h('p', {}, 'Loading…'));
    dialog.showModal();
    try {
      const r = await api('POST', `/api/dashboards/${encodeURIComponent(d.id)}/charts/${encodeURIComponent(c.id)}/drill`, { filters, ...pick });
      dialog.lastChild.remove();
      const box = h('div', { class: 'drill-rows' });
      table(box, r);
      dialog.append(h('p', { class: 'muted' }, `${r.rows.length} row(s)`), box);
    } catch (err) { dialog.lastChild.replaceWith(errorBox(err)); }
  };

  // Filters can change faster than charts answer: each load has a
  // generation, and a chart shows only the answer of the newest one (an
  // older, slower answer must not overwrite it). A card's data-version is the
  // generation it shows; the body's data-generation the newest requested.
  let generation = 0;
  const load = async () => {
    const gen = ++generation;
    document.body.dataset.generation = String(gen);
    await Promise.all(cards.map(async ({ c, card, body }) => {
      card.classList.add('loading');
      let r, failure;
      try {
        r = await api('POST', `/api/dashboards/${encodeURIComponent(d.id)}/charts/${encodeURIComponent(c.id)}`, { filters });
      } catch (err) { failure = err; }
      if (gen !== generation) return;
      if (failure) {
        body.replaceChildren(errorBox(failure));
        card.dataset.signature = 'error';
      } else {
        renderChart(body, c.type, r, c, (pick) => drill(c, pick));
        card.dataset.signature = hash(JSON.stringify(r.rows));
        card.dataset.rows = String(r.rows.length);
      }
      card.classList.remove('loading');
      card.dataset.version = String(gen);
    }));
  };
  const apply = () => {
    for (const [k, el] of [['date_from', from], ['date_to', to], ['device', device], ['group_name', group]]) {
      if (el.value) filters[k] = el.value; else delete filters[k];
    }
    void load();
  };
  bar.addEventListener('change', apply);
  bar.addEventListener('reset', () => setTimeout(apply, 0));
  bar.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  await load();
}

// ── SQL editor and saved questions ───────────────────────────────────────
const PARAM_RE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

function paramNames(sql) {
  const out = [];
  for (const m of sql.replace(/'[^']*'/g, '').matchAll(PARAM_RE)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

function inputFor(type, value) {
  const attrs = { class: 'param-value', value: value ?? '' };
  if (type === 'date') return h('input', { ...attrs, type: 'date' });
  if (type === 'number') return h('input', { ...attrs, type: 'number', step: 'any' });
  if (type === 'boolean') return h('select', { class: 'param-value' }, h('option', { value: '' }, '—'), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
  return h('input', { ...attrs, type: 'text' });
}

/** The parameter panel: one row per $name (type chooser for editors), values for everyone. */
function paramPanel(box, getSql, defs, editable) {
  const state = new Map(defs.map((p) => [p.name, { ...p }]));
  const values = {};
  const draw = () => {
    const names = paramNames(getSql());
    box.replaceChildren();
    for (const name of names) {
      const def = state.get(name) ?? { name, type: 'text' };
      state.set(name, def);
      const input = inputFor(def.type, values[name] ?? def.default);
      input.name = `param-${name}`;
      input.addEventListener('input', () => { values[name] = input.value; });
      input.addEventListener('change', () => { values[name] = input.value; });
      const row = h('div', { class: 'param', 'data-param': name }, h('code', {}, `$${name}`));
      if (editable) {
        const type = h('select', { class: 'param-type', name: `type-${name}` }, ...['text', 'number', 'date', 'boolean'].map((t) => h('option', { value: t }, t)));
        type.value = def.type;
        type.addEventListener('change', () => { def.type = type.value; draw(); });
        row.append(type);
      } else row.append(h('small', { class: 'muted' }, def.type));
      row.append(input);
      box.append(row);
    }
  };
  draw();
  return {
    redraw: draw,
    // A value typed before saving becomes the question's default.
    defs: () => paramNames(getSql()).map((n) => {
      const d = state.get(n) ?? { name: n, type: 'text' };
      return values[n] ? { ...d, default: values[n] } : d;
    }),
    values: () => Object.fromEntries(paramNames(getSql()).map((n) => [n, values[n] ?? state.get(n)?.default ?? ''])),
  };
}

function chartControls(initial, onChange) {
  const spec = { type: initial?.type ?? 'table', x: initial?.x ?? '', y: initial?.y?.join(',') ?? '', series: initial?.series ?? '' };
  const type = h('select', { id: 'chart-type' }, ...['table', 'line', 'bar', 'area', 'pie', 'number', 'pivot'].map((t) => h('option', { value: t }, t)));
  type.value = spec.type;
  const x = h('input', { id: 'chart-x', placeholder: 'x column', value: spec.x });
  const y = h('input', { id: 'chart-y', placeholder: 'y columns (a,b)', value: spec.y });
  const s = h('input', { id: 'chart-series', placeholder: 'series column', value: spec.series });
  const box = h('div', { class: 'chart-controls' }, h('label', {}, 'Chart ', type), h('label', {}, 'X ', x), h('label', {}, 'Y ', y), h('label', {}, 'Series ', s));
  const get = () => ({ type: type.value, ...(x.value ? { x: x.value } : {}), ...(y.value ? { y: y.value.split(',').map((v) => v.trim()).filter(Boolean) } : {}), ...(s.value ? { series: s.value } : {}) });
  box.addEventListener('change', () => onChange(get()));
  return { box, get };
}

function attachAutocomplete(area, list) {
  let words = [];
  api('GET', '/api/schema').then(({ tables }) => {
    const set = new Set();
    for (const t of tables) {
      set.add(`${t.schema}.${t.table}`);
      t.columns.forEach((c) => set.add(c.name));
    }
    words = [...set].sort();
  }).catch(() => undefined);
  let shown = [], active = 0;
  const close = () => { list.replaceChildren(); list.hidden = true; shown = []; };
  const accept = (w) => {
    const pos = area.selectionStart;
    const before = area.value.slice(0, pos).replace(/[\w.]+$/, '');
    area.value = before + w + area.value.slice(pos);
    area.selectionStart = area.selectionEnd = before.length + w.length;
    close();
    area.dispatchEvent(new Event('input'));
    area.focus();
  };
  area.addEventListener('input', () => {
    const m = /[\w.]+$/.exec(area.value.slice(0, area.selectionStart));
    const prefix = m?.[0]?.toLowerCase() ?? '';
    if (prefix.length < 2) return close();
    shown = words.filter((w) => w.toLowerCase().startsWith(prefix) || w.toLowerCase().includes(`.${prefix}`)).slice(0, 12);
    if (!shown.length || (shown.length === 1 && shown[0].toLowerCase() === prefix)) return close();
    active = 0;
    list.replaceChildren(...shown.map((w, i) => h('li', { class: i === 0 ? 'active' : '', role: 'option', onmousedown: (e) => { e.preventDefault(); accept(w); } }, w)));
    list.hidden = false;
  });
  area.addEventListener('keydown', (e) => {
    if (!shown.length) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); area.form?.requestSubmit(); }
      return;
    }
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
      [...list.children].forEach((li, i) => li.classList.toggle('active', i === active));
    } else if (e.key === 'Tab' || e.key === 'Enter') { e.preventDefault(); accept(shown[active]); }
    else if (e.key === 'Escape') close();
  });
  area.addEventListener('blur', () => setTimeout(close, 100));
}

function queryPage({ question, editable }) {
  const form = h('form', { class: 'sql', id: 'sql-form' });
  const area = h('textarea', { id: 'sql', name: 'sql', rows: 10, spellcheck: 'false', autocomplete: 'off', placeholder: 'SELECT … FROM mart_analytics.sessions WHERE session_date >= $since' });
  area.value = question?.sql ?? '';
  if (!editable) area.readOnly = true;
  const suggest = h('ul', { class: 'autocomplete', id: 'autocomplete', role: 'listbox', hidden: '' });
  const params = h('div', { class: 'params', id: 'params' });
  const panel = paramPanel(params, () => area.value, question?.params ?? [], editable);
  area.addEventListener('input', () => panel.redraw());
  const out = h('div', { class: 'result-box', id: 'result' });
  const status = h('p', { class: 'muted', id: 'status' });
  let last;
  const controls = chartControls(question?.chart, () => last && draw());
  const chart = h('div', { class: 'chart-body', id: 'chart' });
  const draw = () => {
    const spec = controls.get();
    renderChart(chart, spec.type, last, spec);
  };
  const source = () => (editable || !question ? { sql: area.value, params: panel.defs() } : { question_id: question.id });
  const run = async () => {
    status.textContent = 'Running…';
    out.replaceChildren();
    try {
      last = await api('POST', '/api/query', { ...source(), values: panel.values() });
      status.textContent = `${last.rows.length} row(s)${last.truncated ? ' (first rows only; export for all)' : ''} in ${Math.round(last.ms)} ms`;
      draw();
      out.replaceChildren(exportButtons({ ...source(), values: panel.values() }, question?.title ?? 'query'));
    } catch (err) {
      status.textContent = '';
      out.replaceChildren(errorBox(err));
      chart.replaceChildren();
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); void run(); });
  const buttons = h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'run' }, 'Run'));
  if (editable) {
    const title = h('input', { id: 'question-title', placeholder: 'Question title', value: question?.title ?? '' });
    const save = h('button', { type: 'button', id: 'save' }, question ? 'Save changes' : 'Save question');
    save.addEventListener('click', async () => {
      try {
        const q = await api('POST', '/api/questions', { id: question?.id, title: title.value, sql: area.value, params: panel.defs(), chart: controls.get() });
        location.href = `/questions/${q.id}`;
      } catch (err) { out.replaceChildren(errorBox(err)); }
    });
    buttons.append(title, save);
  }
  form.append(h('div', { class: 'editor' }, area, suggest), params, buttons);
  main.append(form, controls.box, status, chart, out);
  if (editable) attachAutocomplete(area, suggest);
  if (question) void run();
}

async function main_() {
  void freshness();
  const page = document.body.dataset.page;
  if (page === 'dashboard') await dashboardPage();
  else if (page === 'sql') queryPage({ question: data.question, editable: true });
  else if (page === 'question') {
    if (data.editable) main.append(h('p', {}, h('a', { href: `/sql?question=${encodeURIComponent(data.question.id)}` }, 'Edit in the SQL editor')));
    queryPage({ question: data.question, editable: false });
  }
}

void main_();
