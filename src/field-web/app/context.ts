// What every screen gets: the opened device, the patient list, the
// background scheduler and the current parameters.

import type { BackgroundSync, FieldClient } from '../../field/index.ts';
import type { PatientSearch } from './patient-index.ts';
import type { Params } from './forms.ts';
import { toast } from './dom.ts';

export const APP_VERSION = 'web-1';

export interface AppContext {
  client: FieldClient;
  index: PatientSearch;
  bg: BackgroundSync;
  params: Params;
  /** After a local edit: refresh the list and the header, and ask for a background sync. */
  afterEdit(): Promise<void>;
  go(hash: string): void;
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Every save on a form: run the local edit, refresh, confirm, and go where the edit says; a failure only shows its message. */
export async function saveThenGo(app: AppContext, edit: () => Promise<string>, done: string): Promise<void> {
  try {
    const hash = await edit();
    await app.afterEdit();
    toast(done);
    app.go(hash);
  } catch (err) {
    toast(errorText(err), 'error');
  }
}
