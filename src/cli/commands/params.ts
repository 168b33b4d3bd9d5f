// `nexus params set|get|list|import|delete`: parameters are managed centrally
// (SYNC_PROTOCOL §5); devices replace their copy wholesale on the next pull.
// Writes run as nexus_owner: the sync API itself can only read them.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { NexusError, usageError } from '../../core/errors.ts';
import { getRuntime } from '../runtime.ts';
import { withDatabase } from '../platform.ts';
import { checkKey, deleteParameter, parseImport, readParameters, setParameters } from '../../sync/parameters.ts';
import type pg from 'pg';

const withOwner = <T>(fn: (pool: pg.Pool) => Promise<T>): Promise<T> => withDatabase(getRuntime(), (p) => fn(p.db.pool('nexus_owner')));

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw usageError('invalid_parameter_value', `The value must be JSON (quote strings: '"north"'); got ${text.slice(0, 60)}`);
  }
}

const out = (s: string) => process.stdout.write(s + '\n');

export function registerParams(program: Command): void {
  const params = program.command('params').description('manage the parameters devices pull (server wins)');

  params
    .command('set <key> <json>')
    .description('set one parameter to a JSON value (raises the version if it changed)')
    .action(async (key: string, json: string) => {
      const value = parseValue(json);
      const version = await withOwner((pool) => setParameters(pool, { [checkKey(key)]: value }));
      out(`parameters version ${version}`);
    });

  params
    .command('get <key>')
    .description('print one parameter as JSON')
    .action(async (key: string) => {
      const all = await withOwner((pool) => readParameters(pool));
      if (!Object.hasOwn(all.parameters, checkKey(key))) {
        throw new NexusError('parameter_not_found', `No parameter "${key}"; \`nexus params list\` shows them.`, { exitCode: 3 });
      }
      out(JSON.stringify(all.parameters[key], null, 2));
    });

  params
    .command('list')
    .description('list every parameter and the current version')
    .option('--json', 'print {"version", "parameters"} as devices get it')
    .action(async (opts: { json?: boolean }) => {
      const all = await withOwner((pool) => readParameters(pool));
      if (opts.json) {
        out(JSON.stringify(all, null, 2));
        return;
      }
      out(`version ${all.version}`);
      for (const [k, v] of Object.entries(all.parameters)) out(`${k} = ${JSON.stringify(v)}`);
    });

  params
    .command('import <file>')
    .description('set every key of a JSON object file (one version for the whole import)')
    .action(async (file: string) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw usageError('invalid_parameters_file', `Cannot read ${file}: ${(err as Error).message}`);
      }
      const values = parseImport(text, file);
      const version = await withOwner((pool) => setParameters(pool, values));
      out(`${Object.keys(values).length} parameter(s) imported; parameters version ${version}`);
    });

  params
    .command('delete <key>')
    .description('remove a parameter (raises the version)')
    .action(async (key: string) => {
      const removed = await withOwner((pool) => deleteParameter(pool, key));
      if (!removed) throw new NexusError('parameter_not_found', `No parameter "${key}".`, { exitCode: 3 });
      out(`deleted ${key}`);
    });
}
