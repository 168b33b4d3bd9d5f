// The systemd units from deploy/systemd: copied into the root, checked with
// `systemd-analyze verify` there, enabled with `systemctl --root` (which
// only makes the wants symlinks, so it works in a scratch root too), and on
// the live system reloaded and started.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NexusError } from '../core/errors.ts';
import { file } from './files.ts';
import { must, run, type Host } from './host.ts';
import type { Step } from './steps.ts';

export const UNITS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/systemd');
const SYSTEM_DIR = '/etc/systemd/system';

/** The server's units: every one but Guardian's, which runs on the gate. */
export function serverUnits(dir = UNITS_DIR): string[] {
  return readdirSync(dir).filter((f) => /^nexus-.*\.service$/.test(f) && f !== 'nexus-guardian.service').sort();
}

export interface UnitChanges {
  files: boolean;
}

export function unitFileSteps(host: Host, units: string[], changes: UnitChanges): Step[] {
  return units.map((u) => {
    const s = file(host, `${SYSTEM_DIR}/${u}`, () => readFileSync(path.join(UNITS_DIR, u), 'utf8'), { user: 'root', group: 'root', mode: 0o644 });
    return { ...s, apply: async () => { await s.apply(); changes.files = true; } };
  });
}

export function verifyUnitsStep(host: Host, units: string[]): Step {
  return {
    kind: 'verify',
    title: `systemd-analyze verify ${units.length} unit(s) in ${host.root}`,
    pending: async () => undefined,
    async apply() {
      const r = await run('systemd-analyze', [...(host.live ? [] : [`--root=${host.root}`]), 'verify', ...units], { pkg: 'systemd' });
      // verify exits 0 on some parse errors it "ignores": any word about our units is a failure.
      const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /nexus-/.test(l));
      if (r.code !== 0 || ours.length) throw new NexusError('units_invalid', `systemd-analyze verify: ${(ours.join('; ') || r.stderr).trim().slice(0, 2000)}`);
      return 'no complaints';
    },
  };
}

export function enableStep(host: Host, units: string[]): Step {
  const root = host.live ? [] : [`--root=${host.root}`];
  return {
    kind: 'files',
    title: `enable ${units.length} unit(s) (multi-user.target wants them)`,
    async pending() {
      const off: string[] = [];
      for (const u of units) if ((await run('systemctl', [...root, 'is-enabled', u], { pkg: 'systemd' })).stdout.trim() !== 'enabled') off.push(u);
      return off.length ? `enable ${off.join(', ')}` : undefined;
    },
    async apply() {
      await must('systemctl', [...root, 'enable', ...units], { pkg: 'systemd' });
    },
  };
}

export function reloadStep(changes: UnitChanges): Step {
  return {
    kind: 'system',
    title: 'systemd reads the new units',
    pending: async () => (changes.files ? 'daemon-reload' : undefined),
    apply: async () => void (await must('systemctl', ['daemon-reload'])),
  };
}

export function startStep(units: string[], changes: UnitChanges): Step {
  return {
    kind: 'system',
    title: `start ${units.length} unit(s)`,
    async pending() {
      const down: string[] = [];
      for (const u of units) if ((await run('systemctl', ['is-active', u])).stdout.trim() !== 'active') down.push(u);
      if (down.length) return `start ${down.join(', ')}`;
      return changes.files ? 'restart (their unit files changed)' : undefined;
    },
    async apply() {
      await must('systemctl', [changes.files ? 'restart' : 'start', ...units]);
    },
  };
}
