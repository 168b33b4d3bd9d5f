// The lazily loaded command tree: a command line naming one command loads
// only the groups OWNERS lists for it, and must see that command exactly as
// the whole tree defines it (options, subcommands, descriptions).

import { after, test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram, commandOf, OWNERS } from '../../src/cli/program.ts';
import { SERVICES } from '../../src/cli/services.ts';
import { nexus } from '../helpers/cli.ts';

const TRACER = fileURLToPath(new URL('../helpers/trace-loads.mjs', import.meta.url));

/** Everything help shows of a command and its subcommands, recursively. */
function shape(cmd: Command): string {
  return [cmd.helpInformation(), ...cmd.commands.map(shape)].join('\n');
}

test('each top-level command built from its owners alone equals the one in the whole tree', async () => {
  const whole = await buildProgram();
  const names = whole.commands.map((c) => c.name());
  assert.deepEqual(names.filter((n) => !Object.hasOwn(OWNERS, n)), [], 'every command has owners');
  assert.deepEqual(Object.keys(OWNERS).filter((n) => !names.includes(n)), [], 'no owner entry for a command that does not exist');
  for (const name of names) {
    const part = await buildProgram(name);
    const mine = part.commands.find((c) => c.name() === name);
    assert.ok(mine, `${name} is defined by ${OWNERS[name]!.join(', ')}`);
    assert.equal(shape(mine), shape(whole.commands.find((c) => c.name() === name)!), `${name} is the same command`);
  }
});

test('each service entry names and describes the definition it loads', async () => {
  for (const entry of SERVICES) {
    const def = await entry.load();
    assert.deepEqual([def.name, def.description], [entry.name, entry.description]);
  }
});

test('the command a command line names', () => {
  assert.equal(commandOf(['node', 'nexus', 'import', 'x.csv', '--source', 's']), 'import');
  assert.equal(commandOf(['node', 'nexus', '--help']), undefined);
  assert.equal(commandOf(['node', 'nexus', '-V']), undefined);
});

test('a single command loads less: `nexus import --help` needs neither DuckDB nor exceljs; the whole help does', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexus-loads-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const loads = async (args: string[], name: string): Promise<string> => {
    const file = path.join(dir, name);
    const r = await nexus(args, { TRACE_LOADS_FILE: file, NODE_OPTIONS: `--import=${TRACER}` });
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(file, 'utf8');
  };
  const heavy = /@duckdb\/node-api|exceljs/;
  assert.doesNotMatch(await loads(['import', '--help'], 'one'), heavy);
  assert.match(await loads(['--help'], 'all'), heavy, 'the trace shows them when they do load');
});
