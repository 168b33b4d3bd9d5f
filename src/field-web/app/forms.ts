// What the session form shows, derived from the server's parameters
// (FIELD_DATA.md; server wins, replaced wholesale on sync): the session types,
// the questionnaire of `forms.<id>` and the measurement warnings of
// `alerts.thresholds`. Pure functions, so Node tests check them directly.
//
// Which form a session type uses (FIELD_DATA is silent): `forms.<type>` when
// the parameters hold one, else `forms.visit-standard`, else none.

export type Params = Record<string, unknown>;

export interface FormField {
  key: string;
  type: 'choice' | 'number' | 'integer' | 'boolean' | 'text';
  label: string;
  options?: string[];
  min?: number;
  max?: number;
}

export interface FormSpec {
  id: string;
  version: number;
  fields: FormField[];
}

export const DEFAULT_SESSION_TYPES = ['home_visit', 'clinic_visit', 'phone_call', 'therapy', 'assessment'];
export const SESSION_STATUSES = ['planned', 'in_progress', 'completed', 'cancelled'];
export const SEXES = ['female', 'male', 'diverse', 'unknown'];

/** The measurements of FIELD_DATA, with units for labels; a threshold key not listed here is added. */
export const MEASUREMENTS: Array<{ key: string; label: string; step: string }> = [
  { key: 'pulse_bpm', label: 'Pulse (bpm)', step: '1' },
  { key: 'systolic_mmhg', label: 'Systolic (mmHg)', step: '1' },
  { key: 'diastolic_mmhg', label: 'Diastolic (mmHg)', step: '1' },
  { key: 'temperature_c', label: 'Temperature (°C)', step: '0.1' },
  { key: 'spo2_pct', label: 'SpO₂ (%)', step: '1' },
  { key: 'weight_kg', label: 'Weight (kg)', step: '0.1' },
  { key: 'blood_glucose_mgdl', label: 'Blood glucose (mg/dl)', step: '1' },
  { key: 'pain_score', label: 'Pain (0–10)', step: '1' },
];

const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null);

export const humanize = (key: string): string => key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

export function sessionTypes(p: Params): string[] {
  return strings(p.session_types) ?? DEFAULT_SESSION_TYPES;
}

export function sites(p: Params): string[] {
  return strings(p.sites) ?? [];
}

export function intervalSeconds(p: Params): number {
  const v = p['sync.interval_seconds'];
  return typeof v === 'number' && Number.isFinite(v) && v >= 5 ? v : 300;
}

function field(raw: unknown): FormField | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.key !== 'string' || r.key === '') return null;
  const options = strings(r.options);
  const type = (['choice', 'number', 'integer', 'boolean', 'text'] as const).find((t) => t === r.type) ?? (options ? 'choice' : 'text');
  const f: FormField = { key: r.key, type, label: typeof r.label === 'string' ? r.label : humanize(r.key) };
  if (options) f.options = options;
  if (typeof r.min === 'number') f.min = r.min;
  if (typeof r.max === 'number') f.max = r.max;
  return f;
}

export function formFor(p: Params, sessionType: string): FormSpec | null {
  for (const id of [sessionType, 'visit-standard']) {
    const raw = p[`forms.${id}`];
    if (!raw || typeof raw !== 'object') continue;
    const r = raw as Record<string, unknown>;
    const fields = Array.isArray(r.fields) ? r.fields.map(field).filter((f): f is FormField => f !== null) : [];
    return { id, version: typeof r.version === 'number' ? r.version : 1, fields };
  }
  return null;
}

export function thresholds(p: Params): Record<string, [number, number]> {
  const raw = p['alerts.thresholds'];
  const out: Record<string, [number, number]> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw)) {
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') out[k] = [v[0], v[1]];
  }
  return out;
}

export function measurementList(p: Params): Array<{ key: string; label: string; step: string }> {
  const known = new Set(MEASUREMENTS.map((m) => m.key));
  return [...MEASUREMENTS, ...Object.keys(thresholds(p)).filter((k) => !known.has(k)).map((k) => ({ key: k, label: humanize(k), step: 'any' }))];
}

/** The warning for a measurement value outside its threshold range, or null. */
export function warningFor(p: Params, key: string, value: number | null): string | null {
  const range = thresholds(p)[key];
  if (!range || value === null || !Number.isFinite(value)) return null;
  if (value < range[0]) return `below ${range[0]} (range ${range[0]}–${range[1]})`;
  if (value > range[1]) return `above ${range[1]} (range ${range[0]}–${range[1]})`;
  return null;
}
