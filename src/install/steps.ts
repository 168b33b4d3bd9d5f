// An install is a list of steps, each able to say what it would change
// before changing it. That one question gives idempotence (a step with
// nothing to change is left alone and says "ok"), --dry-run (every step says
// what it would do and nothing happens) and a second run that reports
// "nothing to change".
//
// Kinds: `files` steps do their work inside the target root (any --root);
// `system` steps need the running machine (accounts, systemctl, the live
// PostgreSQL) and only run when the root is `/`, else they are listed;
// `verify` steps run a real validator over what the files steps wrote.

import { toNexusError } from '../core/errors.ts';

export type StepKind = 'files' | 'system' | 'verify';

export interface Step {
  kind: StepKind;
  title: string;
  /** What must change, or undefined when it is in place. Never changes anything. */
  pending(): Promise<string | undefined>;
  /** Makes the change (verify steps: runs the check and says what passed). */
  apply(): Promise<string | void>;
}

export type Outcome = 'ok' | 'done' | 'would' | 'skipped' | 'checked';

export interface StepReport {
  title: string;
  kind: StepKind;
  outcome: Outcome;
  detail?: string;
}

export interface RunOptions {
  dryRun: boolean;
  /** The root is `/`: system steps run. */
  live: boolean;
  print(line: string): void;
}

export interface RunSummary {
  steps: StepReport[];
  changed: number;
}

function line(r: StepReport): string {
  return `${r.outcome.padEnd(8)} ${r.title}${r.detail ? `: ${r.detail}` : ''}`;
}

/** Runs the steps in order; the first failure stops the install (later steps depend on earlier ones). */
export async function runSteps(steps: Step[], o: RunOptions): Promise<RunSummary> {
  const out: StepReport[] = [];
  const report = (r: StepReport): void => {
    out.push(r);
    o.print(line(r));
  };
  for (const s of steps) {
    try {
      if (s.kind === 'system' && !o.live) {
        report({ title: s.title, kind: s.kind, outcome: 'skipped', detail: 'needs the running system (--root is not /)' });
        continue;
      }
      if (s.kind === 'verify') {
        if (o.dryRun) report({ title: s.title, kind: s.kind, outcome: 'would', detail: 'check' });
        else report({ title: s.title, kind: s.kind, outcome: 'checked', detail: (await s.apply()) || 'passed' });
        continue;
      }
      const need = await s.pending();
      if (!need) report({ title: s.title, kind: s.kind, outcome: 'ok' });
      else if (o.dryRun) report({ title: s.title, kind: s.kind, outcome: 'would', detail: need });
      else {
        await s.apply();
        report({ title: s.title, kind: s.kind, outcome: 'done', detail: need });
      }
    } catch (err) {
      const e = toNexusError(err);
      o.print(`failed   ${s.title}: ${e.code === 'internal_error' && err instanceof Error ? err.message : e.message}`);
      throw err;
    }
  }
  const changed = out.filter((r) => r.outcome === 'done').length;
  const skipped = out.filter((r) => r.outcome === 'skipped').length;
  if (o.dryRun) o.print(`dry run: ${out.filter((r) => r.outcome === 'would').length} step(s) would change something; nothing was changed`);
  else if (changed === 0) o.print(`nothing to change: all ${out.length - skipped} step(s) in place${skipped ? `, ${skipped} left to the running system` : ''}`);
  else o.print(`${changed} step(s) changed something${skipped ? `, ${skipped} left to the running system` : ''}`);
  return { steps: out, changed };
}
