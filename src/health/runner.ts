// Runs every check; a check that throws is a failed check with the error as
// its message (a health report that crashes tells nobody anything).

import { toNexusError } from '../core/errors.ts';
import { CHECKS } from './checks/index.ts';
import type { Check, CheckContext, CheckResult } from './types.ts';

function messageOf(err: unknown): string {
  const e = toNexusError(err);
  return e.code === 'internal_error' && err instanceof Error ? err.message : e.message;
}

export async function runChecks(ctx: CheckContext, checks: Array<{ name: string; run: Check }> = CHECKS): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) {
    try {
      const r = await c.run(ctx);
      out.push(...(Array.isArray(r) ? r : [r]));
    } catch (err) {
      out.push({ name: c.name, status: 'fail', message: `check failed: ${messageOf(err)}` });
    }
  }
  return out;
}

export function overall(results: CheckResult[]): 'ok' | 'warn' | 'fail' {
  return results.some((r) => r.status === 'fail') ? 'fail' : results.some((r) => r.status === 'warn') ? 'warn' : 'ok';
}
