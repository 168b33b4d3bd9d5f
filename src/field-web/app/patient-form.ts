// Master data (patient.json, FIELD_DATA.md): new or edit. Unknown fields of
// the stored JSON are kept (editPatient merges top-level keys).

import { addPatient, editPatient, readJson } from '../../field/index.ts';
import { h, clear, row } from './dom.ts';
import { SEXES, sites } from './forms.ts';
import { APP_VERSION, saveThenGo, type AppContext } from './context.ts';

type Json = Record<string, unknown>;
const s = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

function select(name: string, options: string[], value: string, blank = true): HTMLSelectElement {
  const sel = h('select', { name }, blank ? h('option', { value: '' }, '—') : null, ...options.map((o) => h('option', { value: o }, o.replace(/_/g, ' '))));
  if (value && !options.includes(value)) sel.append(h('option', { value }, value));
  sel.value = value;
  return sel;
}

export async function patientForm(view: HTMLElement, app: AppContext, id: string | null): Promise<void> {
  const dev = app.client.device;
  const p = id ? ((await readJson<Json>(dev.fs, `patients/${id}/patient.json`)) ?? {}) : {};
  const addr = obj(p.address);
  const ins = obj(p.insurance);
  const input = (name: string, value: unknown, attrs: Record<string, string | boolean> = {}) => h('input', { name, value: s(value), autocomplete: 'off', ...attrs });
  const form = h('form', { class: 'card grid' },
    h('h1', { class: 'span2' }, id ? 'Edit master data' : 'New patient'),
    row('First name', input('first_name', p.first_name, { required: true, autocapitalize: 'words' })),
    row('Last name', input('last_name', p.last_name, { required: true, autocapitalize: 'words' })),
    row('Date of birth', input('birth_date', p.birth_date, { type: 'date' })),
    row('Sex', select('sex', SEXES, s(p.sex))),
    row('External reference', input('external_ref', p.external_ref)),
    row('Phone', input('phone', p.phone, { type: 'tel' })),
    row('Street', input('street', addr.street)),
    row('Postal code', input('postal_code', addr.postal_code, { inputmode: 'numeric' })),
    row('City', input('city', addr.city)),
    row('Country', input('country', addr.country ?? 'DE', { maxlength: '2' })),
    row('Insurance', input('insurance_provider', ins.provider)),
    row('Insurance number', input('insurance_number', ins.number)),
    row('Care level', select('care_level', ['0', '1', '2', '3', '4', '5'], s(p.care_level))),
    row('Site', select('site', sites(app.params), s(p.site))),
    row('Tags (comma separated)', input('tags', Array.isArray(p.tags) ? p.tags.join(', ') : '')),
    h('div', { class: 'actions span2' },
      h('a', { class: 'button secondary', href: id ? `#/patient/${id}` : '#/' }, 'Cancel'),
      h('button', { type: 'submit' }, 'Save')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const v = (k: string): string | null => {
      const x = String(f.get(k) ?? '').trim();
      return x === '' ? null : x;
    };
    const data: Json = {
      first_name: v('first_name'), last_name: v('last_name'), birth_date: v('birth_date'), sex: v('sex'),
      external_ref: v('external_ref'), phone: v('phone'), site: v('site'),
      care_level: v('care_level') === null ? null : Number(v('care_level')),
      address: { ...addr, street: v('street'), postal_code: v('postal_code'), city: v('city'), country: v('country') },
      insurance: { ...ins, provider: v('insurance_provider'), number: v('insurance_number') },
      tags: (v('tags') ?? '').split(',').map((t) => t.trim()).filter(Boolean),
      app_version: APP_VERSION,
    };
    for (const k of ['address', 'insurance'] as const) {
      const o = data[k] as Json;
      for (const [kk, vv] of Object.entries(o)) if (vv === null) delete o[kk];
    }
    await saveThenGo(app, async () => {
      let target = id;
      if (id) await editPatient(dev, id, data);
      else {
        for (const [k, x] of Object.entries(data)) if (x === null) delete data[k];
        target = await addPatient(dev, data);
      }
      return `#/patient/${target}`;
    }, 'Saved on this iPad');
  });
  clear(view, form);
}
