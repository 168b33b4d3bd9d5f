// Clarity's chart renderer: small SVG charts (line, area, bar, pie), a
// single number, a table and a pivot table, drawn from a query result
// ({columns, rows}). `onPick({x, series})` is called when a mark is clicked
// (drill to rows). No dependencies; DOM built with createElementNS.

const SVG = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#2f6fde', '#e0702b', '#2e9e6a', '#c23d5b', '#7d5bd0', '#b59a1f', '#1f9bb5', '#6b6b6b'];

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

export function formatValue(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en') : v.toLocaleString('en', { maximumFractionDigits: 2 });
  if (typeof v === 'object') return JSON.stringify(v);
  const s = String(v);
  return /^\d+(\.\d+)?$/.test(s) && s.length < 16 ? Number(s).toLocaleString('en', { maximumFractionDigits: 2 }) : s;
}

const num = (v) => (v === null || v === undefined || v === '' ? 0 : Number(v));

/** Series of a result: [{name, points: Map(x → y)}], and the ordered x values. */
export function seriesOf(result, spec) {
  const names = result.columns.map((c) => c.name);
  const xi = Math.max(0, names.indexOf(spec.x ?? names[0]));
  const ycols = (spec.y?.length ? spec.y : names.filter((_, i) => i !== xi && (!spec.series || names[i] !== spec.series)).slice(0, 4)).map((y) => names.indexOf(y)).filter((i) => i >= 0);
  const xs = [];
  const seen = new Set();
  const series = new Map();
  const si = spec.series ? names.indexOf(spec.series) : -1;
  for (const row of result.rows) {
    const x = String(row[xi] ?? '');
    if (!seen.has(x)) { seen.add(x); xs.push(x); }
    for (const yi of ycols) {
      const name = si >= 0 ? String(row[si] ?? '(none)') : names[yi];
      if (!series.has(name)) series.set(name, new Map());
      const m = series.get(name);
      m.set(x, (m.get(x) ?? 0) + num(row[yi]));
    }
  }
  return { xs, series: [...series.entries()].map(([name, points]) => ({ name, points })) };
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v) ?? v;
}

function cartesian(container, result, spec, kind, onPick) {
  const { xs, series } = seriesOf(result, spec);
  const W = 640, H = 260, L = 52, R = 12, T = 12, B = 44;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: `chart-svg chart-${kind}`, role: 'img' });
  const max = niceMax(Math.max(0, ...series.flatMap((s) => [...s.points.values()])));
  const pw = W - L - R, ph = H - T - B;
  const y = (v) => T + ph - (v / max) * ph;
  const step = xs.length ? pw / xs.length : pw;
  const xc = (i) => L + step * i + step / 2;
  for (let k = 0; k <= 4; k++) {
    const v = (max / 4) * k;
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, formatValue(Math.round(v * 100) / 100)));
  }
  const every = Math.max(1, Math.ceil(xs.length / 10));
  xs.forEach((x, i) => {
    if (i % every === 0) svg.append(el('text', { x: xc(i), y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, x.length > 12 ? x.slice(0, 10) : x));
  });
  series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length];
    if (kind === 'bar') {
      const bw = Math.max(1, (step * 0.8) / series.length);
      xs.forEach((x, i) => {
        const v = s.points.get(x) ?? 0;
        const r = el('rect', { x: L + step * i + step * 0.1 + bw * si, y: y(v), width: bw, height: Math.max(0, T + ph - y(v)), fill: color, class: 'mark' });
        r.append(el('title', {}, `${x} · ${s.name}: ${formatValue(v)}`));
        r.addEventListener('click', () => onPick?.({ x, series: spec.series ? s.name : undefined }));
        svg.append(r);
      });
    } else {
      const pts = xs.map((x, i) => [xc(i), y(s.points.get(x) ?? 0)]);
      if (kind === 'area' && pts.length) {
        svg.append(el('path', { d: `M${pts[0][0]},${y(0)} ${pts.map(([a, b]) => `L${a},${b}`).join(' ')} L${pts[pts.length - 1][0]},${y(0)} Z`, fill: color, 'fill-opacity': 0.25, stroke: 'none' }));
      }
      svg.append(el('path', { d: pts.map(([a, b], i) => `${i ? 'L' : 'M'}${a},${b}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
      xs.forEach((x, i) => {
        const c = el('circle', { cx: pts[i][0], cy: pts[i][1], r: 3.5, fill: color, class: 'mark' });
        c.append(el('title', {}, `${x} · ${s.name}: ${formatValue(s.points.get(x) ?? 0)}`));
        c.addEventListener('click', () => onPick?.({ x, series: spec.series ? s.name : undefined }));
        svg.append(c);
      });
    }
  });
  svg.append(el('line', { x1: L, x2: W - R, y1: y(0), y2: y(0), class: 'axis' }));
  container.append(svg, legend(series.map((s) => s.name)));
}

function legend(names) {
  const box = h('div', { class: 'legend' });
  names.forEach((n, i) => box.append(h('span', {}, h('i', { class: `swatch c${i % PALETTE.length}` }), n)));
  return box;
}

function pie(container, result, spec, onPick) {
  const { xs, series } = seriesOf(result, spec);
  const values = xs.map((x) => series[0]?.points.get(x) ?? 0);
  const total = values.reduce((a, b) => a + b, 0) || 1;
  const svg = el('svg', { viewBox: '0 0 260 260', class: 'chart-svg chart-pie', role: 'img' });
  let a0 = -Math.PI / 2;
  xs.forEach((x, i) => {
    const frac = values[i] / total;
    const a1 = a0 + frac * Math.PI * 2;
    const large = frac > 0.5 ? 1 : 0;
    const p = (a) => [130 + 110 * Math.cos(a), 130 + 110 * Math.sin(a)];
    const [x0, y0] = p(a0), [x1, y1] = p(a1 - 1e-6);
    const path = el('path', { d: frac >= 0.9999 ? 'M130,20 A110,110 0 1 1 129.99,20 Z' : `M130,130 L${x0},${y0} A110,110 0 ${large} 1 ${x1},${y1} Z`, fill: PALETTE[i % PALETTE.length], class: 'mark' });
    path.append(el('title', {}, `${x}: ${formatValue(values[i])} (${Math.round(frac * 100)}%)`));
    path.addEventListener('click', () => onPick?.({ x }));
    svg.append(path);
    a0 = a1;
  });
  container.append(svg, legend(xs.map((x, i) => `${x} (${formatValue(values[i])})`)));
}

export function table(container, result, onPick, max = 500) {
  const t = h('table', { class: 'result' });
  t.append(h('thead', {}, h('tr', {}, ...result.columns.map((c) => h('th', { title: c.type }, c.name)))));
  const tb = h('tbody');
  for (const row of result.rows.slice(0, max)) {
    const tr = h('tr', {}, ...row.map((v) => h('td', { class: typeof v === 'number' ? 'num' : '' }, formatValue(v))));
    if (onPick) tr.addEventListener('click', () => onPick({ x: row[0] === null ? undefined : String(row[0]) }));
    tb.append(tr);
  }
  t.append(tb);
  container.append(h('div', { class: 'table-wrap' }, t));
  if (result.rows.length > max || result.truncated) container.append(h('p', { class: 'muted' }, `Showing ${Math.min(max, result.rows.length)} rows${result.truncated ? ' (result truncated; export for all rows)' : ''}.`));
}

function pivot(container, result, spec) {
  const names = result.columns.map((c) => c.name);
  const xi = Math.max(0, names.indexOf(spec.x ?? names[0]));
  const si = spec.series ? names.indexOf(spec.series) : 1;
  const yi = spec.y?.[0] ? names.indexOf(spec.y[0]) : names.length - 1;
  const rows = [], cols = [], cells = new Map();
  for (const r of result.rows) {
    const rx = String(r[xi] ?? ''), cx = String(r[si] ?? '');
    if (!rows.includes(rx)) rows.push(rx);
    if (!cols.includes(cx)) cols.push(cx);
    cells.set(`${rx}\u0000${cx}`, (cells.get(`${rx}\u0000${cx}`) ?? 0) + num(r[yi]));
  }
  cols.sort();
  const total = (f) => [...cells.entries()].filter(([k]) => f(k)).reduce((a, [, v]) => a + v, 0);
  const t = h('table', { class: 'result pivot' });
  t.append(h('thead', {}, h('tr', {}, h('th', {}, `${names[xi]} \\ ${names[si]}`), ...cols.map((c) => h('th', {}, c)), h('th', {}, 'Total'))));
  const tb = h('tbody');
  for (const rx of rows) {
    tb.append(h('tr', {}, h('th', {}, rx), ...cols.map((c) => h('td', { class: 'num' }, formatValue(cells.get(`${rx}\u0000${c}`) ?? 0))), h('td', { class: 'num total' }, formatValue(total((k) => k.startsWith(`${rx}\u0000`))))));
  }
  tb.append(h('tr', { class: 'total' }, h('th', {}, 'Total'), ...cols.map((c) => h('td', { class: 'num' }, formatValue(total((k) => k.endsWith(`\u0000${c}`))))), h('td', { class: 'num' }, formatValue(total(() => true)))));
  t.append(tb);
  container.append(h('div', { class: 'table-wrap' }, t));
}

export function renderChart(container, type, result, spec = {}, onPick) {
  container.replaceChildren();
  if (!result.rows.length) {
    container.append(h('p', { class: 'empty' }, 'No rows.'));
    return;
  }
  if (type === 'number') {
    const v = result.rows[0][spec.y?.[0] ? result.columns.findIndex((c) => c.name === spec.y[0]) : 0];
    const big = h('div', { class: 'big-number' }, formatValue(v ?? 0));
    if (onPick) big.addEventListener('click', () => onPick({}));
    container.append(big);
  } else if (type === 'table') table(container, result, onPick);
  else if (type === 'pivot') pivot(container, result, spec);
  else if (type === 'pie') pie(container, result, spec, onPick);
  else cartesian(container, result, spec, type, onPick);
}

export { h };
