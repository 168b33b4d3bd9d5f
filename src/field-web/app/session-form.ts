// Session entry: the form comes from the server's parameters (forms.ts):
// session types, the questionnaire for the chosen type, measurements with
// live warnings outside alerts.thresholds, and attachments (a PDF, or a photo
// from the camera: <input capture>). Attachments are stored (and their op
// recorded) as soon as they are picked; the session lists their ids.

import { addSession, attach, readJson } from '../../field/index.ts';
import { h, clear, row, toast } from './dom.ts';
import { formFor, measurementList, sessionTypes, SESSION_STATUSES, warningFor, type FormField } from './forms.ts';
import { APP_VERSION, errorText, saveThenGo, type AppContext } from './context.ts';

type Json = Record<string, unknown>;
const s = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** ISO (UTC) → the local wall time a datetime-local input shows, and back. */
const toLocal = (iso: unknown): string => {
  if (typeof iso !== 'string' || Number.isNaN(Date.parse(iso))) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocal = (v: string): string | null => (v ? new Date(v).toISOString() : null);

function questionInput(f: FormField, value: unknown): HTMLElement {
  const name = `answer.${f.key}`;
  switch (f.type) {
    case 'choice': {
      const sel = h('select', { name }, h('option', { value: '' }, '—'), ...(f.options ?? []).map((o) => h('option', { value: o }, o)));
      sel.value = s(value);
      return sel;
    }
    case 'boolean': {
      const sel = h('select', { name }, h('option', { value: '' }, '—'), h('option', { value: 'true' }, 'yes'), h('option', { value: 'false' }, 'no'));
      sel.value = typeof value === 'boolean' ? String(value) : '';
      return sel;
    }
    case 'number':
    case 'integer':
      return h('input', { name, type: 'number', inputmode: 'decimal', step: f.type === 'integer' ? '1' : 'any', min: f.min ?? null, max: f.max ?? null, value: s(value) });
    default:
      return h('input', { name, value: s(value), autocomplete: 'off' });
  }
}

function answerOf(f: FormField, raw: string): unknown {
  if (raw === '') return undefined;
  if (f.type === 'boolean') return raw === 'true';
  if (f.type === 'number' || f.type === 'integer') return Number(raw);
  return raw;
}

export async function sessionForm(view: HTMLElement, app: AppContext, patientId: string, sessionId: string | null): Promise<void> {
  const dev = app.client.device;
  const params = app.params;
  const old = sessionId ? ((await readJson<Json>(dev.fs, `patients/${patientId}/sessions/${sessionId}.json`)) ?? {}) : {};
  const oldMeasures = (old.measurements && typeof old.measurements === 'object' ? old.measurements : {}) as Json;
  const oldAnswers = (old.answers && typeof old.answers === 'object' ? old.answers : {}) as Json;
  const documents: string[] = Array.isArray(old.documents) ? old.documents.map(String) : [];
  const images: string[] = Array.isArray(old.images) ? old.images.map(String) : [];

  const types = sessionTypes(params);
  const type = h('select', { name: 'type', required: true }, ...types.map((t) => h('option', { value: t }, t.replace(/_/g, ' '))));
  type.value = s(old.type) || types[0] || '';
  const status = h('select', { name: 'status' }, ...SESSION_STATUSES.map((t) => h('option', { value: t }, t.replace(/_/g, ' '))));
  status.value = s(old.status) || 'completed';
  const started = h('input', { name: 'started_at', type: 'datetime-local', value: toLocal(old.started_at) || toLocal(new Date().toISOString()) });
  const ended = h('input', { name: 'ended_at', type: 'datetime-local', value: toLocal(old.ended_at) });
  const clinician = h('input', { name: 'clinician', value: s(old.clinician), autocomplete: 'off' });

  const measures = measurementList(params).map((m) => {
    const input = h('input', { name: `m.${m.key}`, type: 'number', inputmode: 'decimal', step: m.step, value: s(oldMeasures[m.key]) });
    const warn = h('span', { class: 'warning', 'data-warning': m.key, role: 'status' });
    const check = () => {
      const w = warningFor(params, m.key, input.value === '' ? null : Number(input.value));
      warn.textContent = w ? `⚠ ${w}` : '';
      input.classList.toggle('out-of-range', Boolean(w));
    };
    input.addEventListener('input', check);
    check();
    return { key: m.key, input, el: row(m.label, input, warn) };
  });

  const questions = h('fieldset', { class: 'grid span2', 'data-form': '' });
  let spec = formFor(params, type.value);
  const renderQuestions = () => {
    spec = formFor(params, type.value);
    questions.dataset.form = spec ? `${spec.id}@${spec.version}` : '';
    clear(questions, h('legend', {}, spec ? `Questions (${spec.id}, version ${spec.version})` : 'No questionnaire for this session type'),
      ...(spec?.fields ?? []).map((f) => row(f.label, questionInput(f, oldAnswers[f.key]))));
  };
  type.addEventListener('change', renderQuestions);
  renderQuestions();

  const attached = h('ul', { class: 'list attachments' });
  const showAttached = () => clear(attached, ...documents.map((d) => h('li', {}, `PDF ${d.slice(0, 8)}…`)), ...images.map((i) => h('li', { 'data-image': i }, `Photo ${i.slice(0, 8)}…`)));
  showAttached();
  const picker = (accept: string, label: string, capture: boolean) => {
    const input = h('input', { type: 'file', accept, name: capture ? 'photo' : 'pdf', capture: capture ? 'environment' : null, class: 'visually-hidden' });
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      if (!file) return;
      try {
        const res = await attach(dev, patientId, { bytes: new Uint8Array(await file.arrayBuffer()), fileName: file.name, contentType: capture ? 'image/jpeg' : 'application/pdf' });
        (res.entity === 'document' ? documents : images).push(res.entityId);
        showAttached();
        await app.afterEdit();
      } catch (err) {
        toast(errorText(err), 'error');
      }
      input.value = '';
    });
    return h('label', { class: 'button secondary' }, label, input);
  };

  const notes = h('textarea', { name: 'notes', rows: 4 }, s(old.notes));
  const form = h('form', { class: 'card grid' },
    h('h1', { class: 'span2' }, sessionId ? 'Edit session' : 'New session'),
    row('Type', type), row('Status', status), row('Started', started), row('Ended', ended), row('Clinician', clinician),
    h('fieldset', { class: 'grid span2 measurements' }, h('legend', {}, 'Measurements'), ...measures.map((m) => m.el)),
    questions,
    h('div', { class: 'span2' }, row('Notes', notes)),
    h('div', { class: 'span2 attach' }, picker('application/pdf', 'Attach PDF', false), picker('image/jpeg', 'Take photo', true), attached),
    h('div', { class: 'actions span2' }, h('a', { class: 'button secondary', href: `#/patient/${patientId}` }, 'Cancel'), h('button', { type: 'submit' }, 'Save session')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const measurements: Json = { ...oldMeasures };
    for (const m of measures) {
      if (m.input.value === '') delete measurements[m.key];
      else measurements[m.key] = Number(m.input.value);
    }
    const answers: Json = { ...oldAnswers };
    for (const q of spec?.fields ?? []) {
      const v = answerOf(q, String(f.get(`answer.${q.key}`) ?? ''));
      if (v === undefined) delete answers[q.key];
      else answers[q.key] = v;
    }
    const payload: Json = { ...old, type: type.value, status: status.value, measurements, answers, documents, images, app_version: APP_VERSION };
    for (const [k, v] of [['started_at', fromLocal(started.value)], ['ended_at', fromLocal(ended.value)], ['clinician', clinician.value.trim() || null], ['notes', notes.value.trim() || null]] as const) {
      if (v === null) delete payload[k];
      else payload[k] = v;
    }
    if (spec) payload.form = { id: spec.id, version: spec.version };
    await saveThenGo(app, async () => {
      await addSession(dev, patientId, sessionId ? { ...payload, session_id: sessionId } : payload);
      return `#/patient/${patientId}`;
    }, 'Session saved on this iPad');
  });
  clear(view, form);
}
