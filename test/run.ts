// `npm test`: one throwaway PostgreSQL cluster for the whole run (no server
// needs to be installed or running), a migrated template database that each
// test file clones, node's test runner over every *.test.ts, and everything
// removed afterwards, whether the tests pass, fail or are interrupted.
//
//   npm test                       every test file
//   npm test -- test/db            the files under a folder (or single files)

import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../src/core/settings.ts';
import { openDatabase } from '../src/db/connection.ts';
import { setupDatabase } from '../src/cli/setup.ts';
import { createLogger } from '../src/core/log.ts';
import { TEMPLATE_DB, clusterSettingsEnv } from './helpers/cluster-env.ts';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function testFiles(args: string[]): string[] {
  const found: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== 'node_modules' && e !== 'fixtures') walk(path.join(p, e));
    } else if (p.endsWith('.test.ts')) {
      found.push(p);
    }
  };
  for (const a of args.length ? args : ['test']) walk(path.resolve(root, a));
  return found;
}

const files = testFiles(process.argv.slice(2));
if (files.length === 0) {
  process.stderr.write('no test files found\n');
  process.exit(1);
}

const home = mkdtempSync(path.join(os.tmpdir(), 'nexus-test-'));
chmodSync(home, 0o711); // the cluster's OS user must traverse it when we run as root
const settings = loadSettings(clusterSettingsEnv(home, TEMPLATE_DB), home);
let cluster: Awaited<ReturnType<typeof openDatabase>>['cluster'];
let cleaned = false;

async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await cluster?.stop().catch((err: unknown) => process.stderr.write(`could not stop the test cluster: ${String(err)}\n`));
  rmSync(home, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => void cleanup().then(() => process.exit(130)));
}

let code = 1;
try {
  const t0 = Date.now();
  const opened = await openDatabase(settings, { start: true });
  cluster = opened.cluster;
  await setupDatabase(opened.db, createLogger('warn'));
  await opened.db.close();
  process.stderr.write(`test cluster: PostgreSQL ${cluster!.binaries.version} (${cluster!.binaries.origin}) in ${home}, ready in ${Date.now() - t0} ms\n`);

  code = await new Promise<number>((resolve) => {
    // A file that leaves a handle open must not hang CI: exit once its tests are
    // done; no single test may run longer than ten minutes.
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-force-exit', '--test-timeout=600000', ...files], {
      stdio: 'inherit',
      cwd: root,
      env: { ...process.env, NEXUS_TEST_HOME: home },
    });
    child.on('close', (c) => resolve(c ?? 1));
  });
} catch (err) {
  process.stderr.write(`test harness failed: ${err instanceof Error ? err.stack : String(err)}\n`);
} finally {
  await cleanup();
}
process.exit(code);
