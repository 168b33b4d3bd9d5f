// The sync panel: online/offline, outbox (length, oldest age), last sync and
// its error, dead letters with the server's reasons, changes kept local
// because of pending edits (sync_meta `deferred`), storage used.

import { deviceStatus, listDeadLetters, readMeta } from '../../field/index.ts';
import { h, clear, ago } from './dom.ts';
import type { AppContext } from './context.ts';

/** Only the folders the patient index flags are read (not every sync_meta.json). */
async function keptLocal(app: AppContext): Promise<Array<{ patient: string; entity: string; id: string; version: number }>> {
  const dev = app.client.device;
  const out: Array<{ patient: string; entity: string; id: string; version: number }> = [];
  for (const s of dev.patients.entries.values()) {
    if (s.deferred === 0) continue;
    const p = s.patient_id;
    const meta = await readMeta(dev.fs, p).catch(() => null);
    for (const [id, c] of Object.entries(meta?.deferred ?? {})) out.push({ patient: p, entity: c.entity, id, version: c.version });
  }
  return out;
}

const mb = (n: number | undefined): string => (n === undefined ? '?' : `${(n / 1024 / 1024).toFixed(1)} MB`);

export async function syncPanel(view: HTMLElement, app: AppContext): Promise<void> {
  const st = await deviceStatus(app.client.device);
  const dead = await listDeadLetters(app.client.device.fs);
  const kept = await keptLocal(app);
  const est = await navigator.storage.estimate().catch(() => ({}) as StorageEstimate);
  const persisted = await navigator.storage.persisted?.().catch(() => false);
  const last = app.bg.lastOutcome;
  const online = navigator.onLine;
  const button = h('button', { type: 'button', 'data-action': 'sync-now', disabled: !online || app.bg.busy }, app.bg.busy ? 'Syncing…' : 'Sync now');
  button.addEventListener('click', () => {
    app.bg.trigger('manual');
    button.disabled = true;
    button.textContent = 'Syncing…';
  });
  const stat = (k: string, v: string, key: string) => [h('dt', {}, k), h('dd', { 'data-stat': key }, v)];
  clear(view,
    h('section', { class: 'card' },
      h('h1', {}, 'Sync'),
      h('p', { class: online ? 'online' : 'offline', 'data-online': String(online) }, online ? '● Online' : '○ Offline — changes are kept on this iPad and sent when the network is back'),
      h('dl', { class: 'facts' },
        ...stat('Waiting to be sent', String(st.outbox.length), 'outbox'),
        ...stat('Oldest waiting change', st.outbox.oldest_recorded_at ? ago(st.outbox.oldest_recorded_at) : '—', 'oldest'),
        ...stat('Last successful sync', ago(st.last_sync_at), 'last-sync'),
        ...stat('Last attempt', last ? `${ago(new Date(last.endedAt).toISOString())}: ${last.ok ? 'ok' : 'failed'}` : '—', 'last-attempt'),
        ...stat('Next attempt', last ? `in ${Math.round(last.nextInMs / 1000)} s` : '—', 'next'),
        ...(st.last_sync_error ? stat('Last error', `${st.last_sync_error.code}: ${st.last_sync_error.message}`, 'error') : []),
        ...stat('Parameters version', String(st.parameters_version ?? '—'), 'parameters'),
        ...stat('Storage used', `${mb(est.usage)} of ${mb(est.quota)}${persisted ? ' (persistent)' : ' (may be evicted)'}`, 'storage'),
        ...stat('Device', `${app.client.device.state.device_name ?? ''} ${st.device_id}`, 'device')),
      button),
    h('section', { class: 'card' }, h('h2', {}, `Rejected by the server (${dead.length})`),
      dead.length ? h('ul', { class: 'list deadletters' }, ...dead.map((d) => h('li', { 'data-deadletter': d.op.op_id },
        h('span', { class: 'name' }, `${d.op.entity} ${d.op.entity_id.slice(0, 8)}… (seq ${d.op.seq})`),
        h('span', { class: 'error' }, `${d.error.code}: ${d.error.message}`)))) : h('p', { class: 'muted' }, 'None.')),
    h('section', { class: 'card' }, h('h2', {}, `Changes from other devices kept back (${kept.length})`),
      h('p', { class: 'muted' }, 'This iPad has unsent edits of these records; its own version wins. They are applied if still newer once the edits are sent.'),
      h('ul', { class: 'list kept' }, ...kept.map((k) => h('li', { 'data-kept': k.id }, h('a', { href: `#/patient/${k.patient}` }, `${k.entity} ${k.id.slice(0, 8)}… (server version ${k.version})`))))),
  );
}
