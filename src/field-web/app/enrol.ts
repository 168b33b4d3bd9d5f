// Enrolment: the one-time code from the administrator (`nexus device add`),
// entered once. Guardian answers device_id and secret; the library writes
// them to secret.json in the device's own storage and they never leave it
// except as the token request.

import { initDevice, type HttpClient, type FieldFs, type RetryPolicy } from '../../field/index.ts';
import { h, clear } from './dom.ts';
import { errorText } from './context.ts';

export function enrolScreen(view: HTMLElement, fs: FieldFs, http: HttpClient, retry: RetryPolicy, done: () => void): void {
  const code = h('input', { name: 'code', required: true, autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', inputmode: 'text' });
  const name = h('input', { name: 'device_name', autocomplete: 'off', placeholder: 'e.g. ipad-north-3' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Enrol this iPad');
  const form = h('form', { class: 'card enrol' },
    h('h1', {}, 'Enrol this iPad'),
    h('p', {}, 'Enter the enrolment code your administrator gave you. It works once; afterwards this iPad keeps its own secret.'),
    h('label', { class: 'row' }, h('span', { class: 'label' }, 'Enrolment code'), code),
    h('label', { class: 'row' }, h('span', { class: 'label' }, 'Device name (optional)'), name),
    msg, button);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    button.disabled = true;
    msg.textContent = '';
    const origin = location.origin;
    initDevice(fs, http, {
      enrollmentCode: code.value.trim(),
      ...(name.value.trim() ? { deviceName: name.value.trim() } : {}),
      // Guardian is reached through the sync server (/field/guardian/…): one origin for the app.
      config: { guardian_url: `${origin}/field`, sync_url: origin, ca_file: null },
      retry,
    })
      .then(async () => {
        await navigator.storage.persist?.().catch(() => false);
        done();
      })
      .catch((err: unknown) => {
        button.disabled = false;
        const c = (err as { code?: string }).code;
        msg.textContent = c === 'invalid_enrollment_code' ? 'This code is unknown, used or expired. Ask for a new one.' : c === 'network_unavailable' ? 'The server cannot be reached. Connect to the VPN and try again.' : errorText(err);
      });
  });
  clear(view, form);
  code.focus();
}
