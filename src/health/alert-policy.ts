// When a check alerts. Not on every run: only when its status differs from
// what the last alert said (so "still failing" is silent), and at most once
// per cooldown per check (so a flapping check cannot storm). A change that
// falls inside the cooldown is not lost: once the cooldown ends, the status
// is compared again with the last alert, and reported if it still differs.
// Pure, for tests.

import type { Status } from './types.ts';

export interface AlertMemory {
  alertedStatus: Status;
  alertedAt: Date | null;
}

export function shouldAlert(status: Status, mem: AlertMemory | undefined, now: Date, cooldownMs: number): boolean {
  const last = mem ?? { alertedStatus: 'ok', alertedAt: null };
  if (status === last.alertedStatus) return false;
  return last.alertedAt === null || now.getTime() - last.alertedAt.getTime() >= cooldownMs;
}
