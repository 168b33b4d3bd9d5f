// `nexus gate check [--dir DIR]`: every rendered file through the real tool
// that will read it. WireGuard files go through `wg-quick strip` and then
// `wg setconf` on a scratch interface in a scratch network namespace; the
// firewall scripts run against a scratch UFW (--rootdir) in a scratch
// namespace, so the host's firewall is never touched. Paths that point at
// installed locations (/etc/keepalived/…, /usr/local/lib/nexus-gate/…) are
// pointed into a copy of DIR first, so the tools find the rendered scripts.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { KEEPALIVED_DIR } from './keepalived.ts';
import { LIB_DIR } from './systemd.ts';
import { inNetns, requireTool, run, withScratchNetns } from './tools.ts';
import { createWgInterface, stripConfig, wgSetconf } from './wg.ts';

export interface CheckResult {
  file: string;
  tool: string;
  ok: boolean;
  detail: string;
}

function listFiles(dir: string, sub: string): string[] {
  const full = path.join(dir, sub);
  if (!existsSync(full)) return [];
  return readdirSync(full).filter((f) => !f.startsWith('.')).map((f) => path.join(sub, f));
}

/** Point installed paths at the copy. */
function relocate(copy: string, file: string): void {
  const full = path.join(copy, file);
  let text = readFileSync(full, 'utf8');
  for (const p of [KEEPALIVED_DIR, LIB_DIR]) text = text.split(`${p}/`).join(`${path.join(copy, p)}/`);
  writeFileSync(full, text);
}

// wg resolves host names in Endpoint; a scratch namespace has no network, so names become a TEST-NET address.
function offlineEndpoints(stripped: string): string {
  return stripped.replace(/^Endpoint = (?![\d.]+:)\S+:(\d+)$/gm, 'Endpoint = 192.0.2.1:$1');
}

async function checkWireguard(copy: string, files: string[], ns: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const name = `nxc${randomBytes(3).toString('hex')}`;
  const wgIf = await createWgInterface(ns, name);
  try {
    for (const file of files) {
      // wg-quick insists on a file named like an interface.
      const tmp = path.join(copy, `${name}.conf`);
      cpSync(path.join(copy, file), tmp);
      try {
        const stripped = await stripConfig(tmp);
        await wgSetconf(ns, name, offlineEndpoints(stripped));
        results.push({ file, tool: `wg-quick strip + wg setconf (${wgIf.kind})`, ok: true, detail: 'parsed' });
      } catch (err) {
        results.push({ file, tool: 'wg-quick strip + wg setconf', ok: false, detail: (err as Error).message.replace(tmp, file) });
      } finally {
        rmSync(tmp, { force: true });
      }
    }
  } finally {
    await wgIf.stop();
  }
  return results;
}

/**
 * A scratch UFW under `root`: the packaged rules frame copied there, sysctl
 * changes pointed at an empty file. Returns the environment that aims the
 * rendered scripts (UFW_OPTS) at it; run them inside a scratch namespace.
 */
export function scratchUfw(root: string): NodeJS.ProcessEnv {
  cpSync('/etc/ufw', path.join(root, 'etc/ufw'), { recursive: true });
  cpSync('/lib/ufw', path.join(root, 'lib/ufw'), { recursive: true });
  cpSync('/usr/share/ufw', path.join(root, 'usr/share/ufw'), { recursive: true });
  const defaults = readFileSync('/etc/default/ufw', 'utf8').replace(/^IPT_SYSCTL=.*$/m, `IPT_SYSCTL=${path.join(root, 'sysctl.conf')}`);
  writeFileSync(path.join(root, 'sysctl.conf'), '');
  mkdirSync(path.join(root, 'etc/default'), { recursive: true });
  writeFileSync(path.join(root, 'etc/default/ufw'), defaults);
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', UFW_OPTS: `--rootdir=${root} --datadir=${root}` };
}

async function checkFirewall(copy: string, file: string, ns: string): Promise<CheckResult> {
  const root = path.join(copy, '.ufw-root');
  const env = scratchUfw(root);
  const r = await inNetns(ns, 'sh', [path.join(copy, file)], { env, timeoutMs: 120_000 });
  if (r.code !== 0) return { file, tool: 'ufw (scratch namespace)', ok: false, detail: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') };
  const saved = await inNetns(ns, 'iptables-save', []);
  const test = await inNetns(ns, 'iptables-restore', ['--test'], { input: saved.stdout });
  const rules = saved.stdout.split('\n').filter((l) => /^-A ufw-user-(input|forward)/.test(l)).length;
  rmSync(root, { recursive: true, force: true });
  return { file, tool: 'ufw + iptables-restore --test (scratch namespace)', ok: test.code === 0 && rules > 0, detail: test.code === 0 ? `${rules} rules loaded` : test.stderr.trim() };
}

async function simple(file: string, tool: string, cmd: string, args: string[]): Promise<CheckResult> {
  const r = await run(cmd, args, { timeoutMs: 60_000 });
  const text = (r.stderr + r.stdout).trim().split('\n').filter(Boolean);
  return { file, tool, ok: r.code === 0, detail: r.code === 0 ? 'ok' : text.slice(0, 4).join(' | ') || `exit ${r.code}` };
}

export async function checkGate(dir: string): Promise<CheckResult[]> {
  for (const [tool, pkg] of [['wg', 'wireguard-tools'], ['dnsmasq', 'dnsmasq'], ['keepalived', 'keepalived'], ['ufw', 'ufw'], ['iptables-restore', 'iptables'], ['systemd-analyze', 'systemd']]) {
    requireTool(tool!, pkg!);
  }
  const copy = mkdtempSync(path.join(os.tmpdir(), 'nexus-gate-check-'));
  try {
    cpSync(dir, copy, { recursive: true });
    const wireguard = [...listFiles(copy, 'etc/wireguard'), ...listFiles(copy, 'clients')].filter((f) => f.endsWith('.conf'));
    const results: CheckResult[] = [];
    await withScratchNetns(async (ns) => {
      results.push(...(await checkWireguard(copy, wireguard, ns)));
    });
    for (const file of [`${LIB_DIR.slice(1)}/ufw-gate.sh`, 'server/ufw-server.sh']) {
      if (existsSync(path.join(copy, file))) await withScratchNetns(async (ns) => void results.push(await checkFirewall(copy, file, ns)));
    }
    for (const file of listFiles(copy, 'etc/dnsmasq.d')) {
      results.push(await simple(file, 'dnsmasq --test', 'dnsmasq', ['--test', `--conf-file=${path.join(copy, file)}`]));
    }
    const ka = `${KEEPALIVED_DIR.slice(1)}/keepalived.conf`;
    if (existsSync(path.join(copy, ka))) {
      relocate(copy, ka);
      results.push(await simple(ka, 'keepalived -t', 'keepalived', ['-t', '-f', path.join(copy, ka)]));
    }
    for (const file of listFiles(copy, `${LIB_DIR.slice(1)}`).concat(listFiles(copy, `${KEEPALIVED_DIR.slice(1)}`)).filter((f) => f.endsWith('.sh'))) {
      results.push(await simple(file, 'sh -n', 'sh', ['-n', path.join(copy, file)]));
    }
    const units = listFiles(copy, 'etc/systemd/system');
    units.forEach((u) => relocate(copy, u));
    if (units.length) {
      const r = await simple(units.join(' '), 'systemd-analyze verify', 'systemd-analyze', ['verify', ...units.map((u) => path.join(copy, u))]);
      results.push({ ...r, detail: r.detail.split(copy + '/').join('') });
    }
    return results;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
