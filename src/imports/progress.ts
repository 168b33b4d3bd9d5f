// The import's progress bar on stderr (stdout stays for the summary): bytes
// read against the file size, rows per second and the time left. Off when
// the stream is not a terminal (logs and pipes stay clean) unless forced.

import cliProgress from 'cli-progress';
import type { Progress } from './importer.ts';

export interface Bar {
  update: (p: Progress) => void;
  stop: () => void;
}

export function progressBar(fileName: string, opts: { enabled?: boolean; stream?: NodeJS.WritableStream; force?: boolean } = {}): Bar {
  const stream = opts.stream ?? process.stderr;
  const enabled = opts.enabled ?? (opts.force || (stream as { isTTY?: boolean }).isTTY === true);
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const t0 = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      format: `${fileName} [{bar}] {percentage}% | {rows} rows, {rejected} rejected | {rate} rows/s | ETA {eta_formatted}`,
      stream,
      etaBuffer: 50,
      hideCursor: true,
      noTTYOutput: !!opts.force,
      notTTYSchedule: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { rows: 0, rejected: 0, rate: 0 });
  let stopped = false;
  return {
    update(p) {
      const secs = Math.max(0.001, (Date.now() - t0) / 1000);
      bar.setTotal(Math.max(1, p.totalBytes));
      bar.update(p.bytes, { rows: p.rows, rejected: p.rejected, rate: Math.round(p.rows / secs) });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
