// `nexus field …`: the reference field client on this machine (one device
// folder) and the fleet simulator. The composition root for src/field: it
// reads settings and endpoints.json, opens the folder with the Node file
// system and HTTP implementations, and maps the library's errors to ours.

import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NexusError, usageError } from '../../core/errors.ts';
import { getRuntime } from '../runtime.ts';
import {
  addPatient, addSession, attach, deletePatient, deviceStatus, editPatient, initDevice, isFieldError, openDevice, sync, type FieldClient,
} from '../../field/index.ts';
import { nodeFs, nodeHttp } from '../../field/node.ts';
import { registerSimulate } from './field-simulate.ts';

const USAGE_CODES = new Set(['invalid_id', 'invalid_json', 'patient_not_found', 'patient_deleted', 'unsupported_content_type', 'not_initialised', 'already_initialised', 'missing_option']);

/** FieldError → NexusError, so the CLI prints the message and exits with a code instead of a stack trace. */
async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isFieldError(err)) throw new NexusError(err.code, err.message, { exitCode: USAGE_CODES.has(err.code) ? 2 : 1, cause: err });
    throw err;
  }
}

function deviceDir(opts: { dir?: string }): string {
  const { settings } = getRuntime();
  return path.resolve(opts.dir ?? settings.fieldDir ?? path.join(settings.home, 'field'));
}

function readCa(file: string | null): string | undefined {
  if (!file) return undefined;
  if (!existsSync(file)) throw usageError('ca_not_found', `CA certificate not found: ${file}`);
  return readFileSync(file, 'utf8');
}

async function withDevice<T>(opts: { dir?: string }, fn: (c: FieldClient) => Promise<T>): Promise<T> {
  const dir = deviceDir(opts);
  if (!existsSync(path.join(dir, 'device.json'))) throw usageError('not_initialised', `no device in ${dir}: run \`nexus field init --enroll <code>\` first (or pass --dir)`);
  const fs = nodeFs(dir);
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { ca_file: string | null };
  const http = nodeHttp({ ca: readCa(config.ca_file) });
  try {
    return await run(async () => fn(await openDevice(fs, http)));
  } finally {
    await http.close();
  }
}

function parseData(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw usageError('invalid_json', '--data must be a JSON object, e.g. --data \'{"first_name": "Ada"}\'');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw usageError('invalid_json', '--data must be a JSON object');
  return v as Record<string, unknown>;
}

const print = (json: boolean | undefined, value: unknown, text: string): void => {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text + '\n');
};

function endpointsDefaults(): Record<string, string> {
  const file = path.join(getRuntime().settings.home, 'endpoints.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

export function registerField(program: Command): void {
  const field = program.command('field').description('the reference field client: a device folder that syncs with the server (src/field)');
  const dirOpt = ['--dir <dir>', 'device folder (default $NEXUS_FIELD_DIR or $NEXUS_HOME/field)'] as const;

  field
    .command('init')
    .description('enrol this device folder with Guardian (endpoints default to $NEXUS_HOME/endpoints.json from `nexus up`)')
    .requiredOption('--enroll <code>', 'one-time enrolment code from `nexus device add`')
    .option('--guardian <url>', 'Guardian base URL')
    .option('--sync <url>', 'sync API base URL')
    .option('--ca <file>', 'CA certificate that signed the servers\u2019 certificates')
    .option('--name <name>', 'device name sent at enrolment')
    .option(...dirOpt)
    .option('--json', 'print JSON')
    .action(async (opts: { enroll: string; guardian?: string; sync?: string; ca?: string; name?: string; dir?: string; json?: boolean }) => {
      const defaults = endpointsDefaults();
      const guardian = opts.guardian ?? defaults.guardian;
      const syncUrl = opts.sync ?? defaults.sync;
      const ca = opts.ca ?? defaults.ca;
      if (!guardian || !syncUrl) throw usageError('missing_option', 'pass --guardian and --sync (or run `nexus up`, which writes them to $NEXUS_HOME/endpoints.json)');
      const dir = deviceDir(opts);
      const http = nodeHttp({ ca: readCa(ca ? path.resolve(ca) : null) });
      try {
        const client = await run(() =>
          initDevice(nodeFs(dir), http, {
            enrollmentCode: opts.enroll,
            ...(opts.name ? { deviceName: opts.name } : {}),
            config: { guardian_url: guardian, sync_url: syncUrl, ca_file: ca ? path.resolve(ca) : null },
          }),
        );
        print(opts.json, { device_id: client.device.state.device_id, dir }, `device ${client.device.state.device_id} enrolled in ${dir}`);
      } finally {
        await http.close();
      }
    });

  const patient = field.command('patient').description('add, edit or delete a patient on this device');
  patient
    .command('add')
    .description('add a patient (prints its id)')
    .option('--data <json>', 'patient.json fields, e.g. \'{"first_name":"Ada"}\'')
    .option(...dirOpt)
    .action(async (opts: { data?: string; dir?: string }) => {
      const data = parseData(opts.data);
      await withDevice(opts, async (c) => print(false, null, await addPatient(c.device, data)));
    });
  patient
    .command('edit <patient>')
    .description('merge fields into patient.json (null removes a field)')
    .requiredOption('--data <json>', 'fields to change')
    .option(...dirOpt)
    .action(async (id: string, opts: { data: string; dir?: string }) => {
      const data = parseData(opts.data);
      await withDevice(opts, (c) => editPatient(c.device, id, data));
    });
  patient
    .command('delete <patient>')
    .description('delete a patient on this device only (never sent; later pulls do not bring it back)')
    .option(...dirOpt)
    .action(async (id: string, opts: { dir?: string }) => withDevice(opts, (c) => deletePatient(c.device, id)));

  field
    .command('session')
    .description('sessions of a patient')
    .command('add <patient>')
    .description('add a session (prints its id)')
    .option('--data <json>', 'session fields, e.g. \'{"type":"home_visit"}\'')
    .option(...dirOpt)
    .action(async (patientId: string, opts: { data?: string; dir?: string }) => {
      const data = parseData(opts.data);
      await withDevice(opts, async (c) => print(false, null, await addSession(c.device, patientId, data)));
    });

  field
    .command('attach <patient> <file>')
    .description('attach a PDF (document) or JPEG (image) to a patient')
    .option(...dirOpt)
    .action(async (patientId: string, file: string, opts: { dir?: string }) => {
      if (!existsSync(file)) throw usageError('file_not_found', `no such file: ${file}`);
      const bytes = new Uint8Array(readFileSync(file));
      await withDevice(opts, async (c) => {
        const a = await attach(c.device, patientId, { bytes, fileName: path.basename(file) });
        print(false, null, `${a.entity} ${a.entityId} sha256 ${a.sha256}`);
      });
    });

  field
    .command('sync')
    .description('push the outbox, upload missing files, pull changes, refresh parameters')
    .option('--push-only', 'do not pull')
    .option(...dirOpt)
    .option('--json', 'print JSON')
    .action(async (opts: { pushOnly?: boolean; dir?: string; json?: boolean }) =>
      withDevice(opts, async (c) => {
        const r = await sync(c, { pull: !opts.pushOnly });
        const { push: p, pull: q } = r;
        print(opts.json, { ...r, api: c.api.stats },
          `pushed ${p.applied} applied, ${p.duplicate} duplicate, ${p.rejected} rejected in ${p.batches} batch(es); uploaded ${p.uploaded} file(s)\n` +
          `pulled ${q.changes} change(s): ${q.applied} applied, ${q.conflicts} kept local (pending edits), ${q.tombstoned} of deleted patients` +
          (r.parametersUpdated ? `\nparameters updated to version ${c.device.state.parameters_version}` : ''));
      }),
    );

  field
    .command('status')
    .description('outbox length and age, dead letters, last sync, pull cursor')
    .option(...dirOpt)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string; json?: boolean }) =>
      withDevice(opts, async (c) => {
        const s = await deviceStatus(c.device);
        print(opts.json, s, [
          `device        ${s.device_id}`,
          `outbox        ${s.outbox.length} op(s)${s.outbox.oldest_age_seconds !== null ? `, oldest ${s.outbox.oldest_age_seconds}s (seq ${s.outbox.oldest_seq})` : ''}`,
          `dead letters  ${s.deadletters}`,
          `seq           next ${s.next_seq}, server has up to ${s.last_seq}`,
          `last sync     ${s.last_sync_at ?? 'never'}${s.last_sync_error ? ` (last error: ${s.last_sync_error.code}: ${s.last_sync_error.message})` : ''}`,
          `pull cursor   ${s.pull_cursor ?? 'none (next pull fetches the current state)'}`,
          `parameters    ${s.parameters_version ?? 'none yet'}`,
        ].join('\n'));
      }),
    );

  registerSimulate(field);
}
