// `nexus gate render|check|apply|snapshot`: the gate's configuration files
// from Guardian's registry and the settings, validated by the real tools,
// peer changes applied to the live WireGuard interface, and the consistent
// copy of Guardian's state that config sync sends to the standby.

import path from 'node:path';
import type { Command } from 'commander';
import { getRuntime } from '../runtime.ts';
import { applyGate, checkGate, gateConfig, renderGate, snapshotGuardian } from '../../gate/index.ts';

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function registerGate(program: Command): void {
  const gate = program.command('gate').description('render, check and apply the gate\u2019s WireGuard, firewall, DNS, keepalived and systemd files');

  gate
    .command('render')
    .description('write every gate file into DIR, laid out as installed (DIR/etc/…, DIR/usr/local/lib/nexus-gate/…), plus DIR/clients and DIR/server')
    .requiredOption('--out <dir>', 'output folder')
    .option('--json', 'print JSON')
    .action(async (opts: { out: string; json?: boolean }) => {
      const { settings } = getRuntime();
      const out = path.resolve(opts.out);
      const r = await renderGate(gateConfig(settings), out, { node: process.execPath });
      r.warnings.forEach((w) => process.stderr.write(`warning: ${w}\n`));
      if (opts.json) return printJson(r);
      process.stdout.write([`rendered ${r.files.length} files for ${r.peers} peers into ${out}:`, ...r.files.map((f) => `  ${f.file}`), ''].join('\n'));
    });

  gate
    .command('check')
    .description('validate rendered files with the real tools (wg, ufw in a scratch netns, dnsmasq --test, keepalived -t, systemd-analyze verify); needs root')
    .option('--dir <dir>', 'a folder written by `nexus gate render` (default: render now into a temporary folder)')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string; json?: boolean }) => {
      const { settings } = getRuntime();
      let dir = opts.dir ? path.resolve(opts.dir) : undefined;
      let cleanup = (): void => undefined;
      if (!dir) {
        const { mkdtempSync, rmSync } = await import('node:fs');
        const os = await import('node:os');
        const tmp = mkdtempSync(path.join(os.tmpdir(), 'nexus-gate-render-'));
        cleanup = () => rmSync(tmp, { recursive: true, force: true });
        const r = await renderGate(gateConfig(settings), tmp, { node: process.execPath });
        r.warnings.forEach((w) => process.stderr.write(`warning: ${w}\n`));
        dir = tmp;
      }
      try {
        const results = await checkGate(dir);
        const failed = results.filter((r) => !r.ok);
        if (opts.json) printJson(results);
        else process.stdout.write(results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.file} — ${r.tool}: ${r.detail}`).join('\n') + '\n');
        if (failed.length) process.exitCode = 1;
      } finally {
        cleanup();
      }
    });

  gate
    .command('apply')
    .description('rewrite wg0.conf from the registry and hand only the changed peers to the live interface (`wg set`; the others keep their sessions)')
    .option('--interface <name>', 'WireGuard interface', 'wg0')
    .option('--conf <file>', 'config file of the interface (default /etc/wireguard/<interface>.conf)')
    .option('--netns <name>', 'run wg inside this network namespace')
    .option('--json', 'print JSON')
    .action(async (opts: { interface: string; conf?: string; netns?: string; json?: boolean }) => {
      const { settings } = getRuntime();
      const r = await applyGate(gateConfig(settings), { iface: opts.interface, ...(opts.conf ? { confPath: path.resolve(opts.conf) } : {}), ...(opts.netns ? { netns: opts.netns } : {}) });
      if (opts.json) return printJson(r);
      process.stdout.write(`${r.iface}: ${r.peers} peers (added: ${r.added.join(', ') || 'none'}; removed: ${r.removed.length}); ${r.confPath} updated\n`);
    });

  gate
    .command('snapshot')
    .description("copy Guardian's files and the TLS authority under their locks (what config sync sends to the standby)")
    .requiredOption('--out <dir>', 'output folder (replaced)')
    .action(async (opts: { out: string }) => {
      const files = await snapshotGuardian(getRuntime().settings.home, path.resolve(opts.out));
      process.stdout.write(`snapshot of ${files.length} files: ${files.join(', ')}\n`);
    });
}
