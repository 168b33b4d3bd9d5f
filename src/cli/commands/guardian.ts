// `nexus guardian rotate-key`. `nexus guardian` itself (the service) is
// registered from the service list; this adds the key command under it.

import type { Command } from 'commander';
import { getRuntime } from '../runtime.ts';
import { rotateKey } from '../../guardian/index.ts';

export function registerGuardian(program: Command): void {
  const guardian =
    program.commands.find((c) => c.name() === 'guardian') ??
    program.command('guardian').description('device identity on the gate (Guardian)');

  guardian
    .command('rotate-key')
    .description('make a new token signing key current; the old one verifies until its last token expires')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { settings } = getRuntime();
      const res = await rotateKey(settings.home, settings.tokenTtlSeconds);
      if (opts.json) return void process.stdout.write(JSON.stringify(res, null, 2) + '\n');
      const lines = [`new signing key: ${res.kid}`];
      for (const k of res.retiring) lines.push(`still published until ${k.publish_until}: ${k.kid}`);
      for (const kid of res.dropped) lines.push(`dropped (its tokens have expired): ${kid}`);
      lines.push('Copy the guardian folder to the standby gate so both sign with the same key.');
      process.stdout.write(lines.join('\n') + '\n');
    });
}
