// FIELD_DATA-shaped records for the simulator, from a seeded generator so a
// run can be repeated.

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for test data. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const FIRST = ['Ada', 'Bruno', 'Clara', 'Dieter', 'Emma', 'Felix', 'Greta', 'Hans', 'Ilse', 'Jonas'];
const LAST = ['Berger', 'Schulz', 'Weber', 'Fischer', 'Wagner', 'Becker', 'Hoffmann', 'Koch'];
const SITES = ['north', 'south', 'clinic'] as const;
const TYPES = ['home_visit', 'clinic_visit', 'phone_call', 'therapy', 'assessment'] as const;

export function patientData(r: Rng): Record<string, unknown> {
  return {
    external_ref: `KV-${Math.floor(r() * 100000)}`,
    first_name: pick(r, FIRST),
    last_name: pick(r, LAST),
    birth_date: `19${30 + Math.floor(r() * 60)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`,
    sex: pick(r, ['female', 'male', 'diverse']),
    care_level: 1 + Math.floor(r() * 5),
    site: pick(r, SITES),
    tags: r() < 0.5 ? ['diabetes'] : ['mobility'],
    app_version: 'sim-1',
  };
}

export function patientEdit(r: Rng): Record<string, unknown> {
  return r() < 0.5 ? { phone: `+49 30 ${Math.floor(r() * 1e7)}` } : { care_level: 1 + Math.floor(r() * 5) };
}

export function sessionData(r: Rng, now = Date.now()): Record<string, unknown> {
  const start = now - Math.floor(r() * 30 * 86400_000);
  return {
    type: pick(r, TYPES),
    status: 'completed',
    started_at: new Date(start).toISOString(),
    ended_at: new Date(start + (10 + Math.floor(r() * 50)) * 60_000).toISOString(),
    clinician: `nurse-${String(1 + Math.floor(r() * 20)).padStart(2, '0')}`,
    measurements: { pulse_bpm: 50 + Math.floor(r() * 60), systolic_mmhg: 100 + Math.floor(r() * 70), spo2_pct: 90 + Math.floor(r() * 10) },
    notes: 'simulated visit',
    app_version: 'sim-1',
  };
}

/** A small valid-looking JPEG or PDF (magic numbers right, random body). */
export function attachmentBytes(r: Rng, maxBytes: number): { bytes: Uint8Array; fileName: string } {
  const size = 256 + Math.floor(r() * Math.max(1, maxBytes - 256));
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = Math.floor(r() * 4294967296);
    b[i] = v & 0xff; b[i + 1] = (v >>> 8) & 0xff; b[i + 2] = (v >>> 16) & 0xff; b[i + 3] = (v >>> 24) & 0xff;
  }
  if (r() < 0.5) {
    b.set([0x25, 0x50, 0x44, 0x46, 0x2d], 0); // %PDF-
    return { bytes: b.subarray(0, size), fileName: 'scan.pdf' };
  }
  b.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return { bytes: b.subarray(0, size), fileName: 'photo.jpg' };
}
