// What every screen gets: the opened device, the patient list, the
// background scheduler and the current parameters.

import type { BackgroundSync, FieldClient } from '../../field/index.ts';
import type { PatientSearch } from './patient-index.ts';
import type { Params } from './forms.ts';

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
