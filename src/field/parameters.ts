// Parameters (SYNC_PROTOCOL §5): server wins. The local copy is replaced
// wholesale; a 304 to If-None-Match means it is current.

import type { ParametersResponse } from '../protocol/index.ts';
import { httpError, type Api } from './api.ts';
import { bodyJson } from './http.ts';
import { writeParameters } from './state.ts';
import type { FieldDevice } from './device.ts';

/** Returns true when parameters.json was replaced. */
export async function refreshParameters(dev: FieldDevice, api: Api): Promise<boolean> {
  const v = dev.state.parameters_version;
  const res = await api.call({ method: 'GET', path: '/v1/parameters', headers: v === null ? {} : { 'if-none-match': `"${v}"` } });
  if (res.status === 304) return false;
  if (res.status !== 200) throw httpError(res, 'parameters');
  const body = bodyJson<ParametersResponse>(res)!;
  await writeParameters(dev.fs, { version: body.version, parameters: body.parameters, fetched_at: new Date().toISOString() });
  dev.state.parameters_version = body.version;
  await dev.saveState();
  return true;
}
