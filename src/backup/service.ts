// `nexus backup` (the service): once a minute, runs whatever is due
// (schedule.ts) one task at a time, then the configuration snapshot and the
// offsite copy (extras.ts). Stopping waits for the running task, so
// systemd never kills a pg_dump half way (TimeoutStopSec in the unit).

import type { RunningService, ServiceDefinition } from '../core/service.ts';
import { lastRuns } from './record.ts';
import { dueTasks } from './schedule.ts';
import { runTask } from './tasks.ts';
import { backupExtras } from './extras.ts';
import { hasClarity } from './clarity.ts';

const TICK_MS = 60_000;

async function archivingOn(ctx: Parameters<ServiceDefinition['start']>[0]): Promise<boolean> {
  const { rows } = await ctx.db.pool('nexus_backup').query<{ on: string }>("SELECT current_setting('archive_mode') AS on");
  return rows[0]?.on === 'on' || rows[0]?.on === 'always';
}

export const backupService: ServiceDefinition = {
  name: 'backup',
  description: 'scheduled dumps, base backups, file store copies, restore tests and point-in-time drills',
  async start(ctx): Promise<RunningService> {
    const s = ctx.settings;
    let stopping = false;
    let timer: NodeJS.Timeout | undefined;
    let current: Promise<void> = Promise.resolve();
    const extras = backupExtras(ctx.db, s, ctx.log);
    const tick = async (): Promise<void> => {
      try {
        const { latest, good } = await lastRuns(ctx.db);
        const due = dueTasks(new Date(), { dumpHours: s.dumpIntervalHours, baseDays: s.baseBackupIntervalDays, restoreTestDays: s.restoreTestIntervalDays }, latest, good, await archivingOn(ctx), hasClarity(s.home), true);
        for (const task of due) {
          if (stopping) break;
          ctx.log.info({ task }, 'backup task starting');
          await runTask(task, ctx.db, s).then(
            () => ctx.log.info({ task }, 'backup task done'),
            (err: unknown) => ctx.log.error({ task, err }, 'backup task failed'),
          );
        }
        if (!stopping) await extras(Date.now(), due.length > 0);
      } catch (err) {
        ctx.log.error({ err }, 'backup scheduler could not run');
      }
    };
    const loop = (): void => {
      current = tick().finally(() => {
        if (!stopping) timer = setTimeout(loop, TICK_MS);
      });
    };
    loop();
    return {
      async stop() {
        stopping = true;
        clearTimeout(timer);
        await current;
      },
    };
  },
};
