// Shared by the commands: settings, logger, error reporting and the wait for
// a stop signal.

import { loadSettings, type Settings } from '../core/settings.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { toNexusError } from '../core/errors.ts';

export interface Runtime {
  settings: Settings;
  log: Logger;
}

let runtime: Runtime | undefined;

export function getRuntime(): Runtime {
  if (!runtime) {
    const settings = loadSettings();
    runtime = { settings, log: createLogger(settings.logLevel, 'nexus', settings.logFormat) };
    if (settings.unknownVariables.length) {
      runtime.log.warn({ variables: settings.unknownVariables }, 'these NEXUS_* variables are not settings and are ignored');
    }
  }
  return runtime;
}

/** Prints an error for a person and returns the exit code to use. */
export function reportError(err: unknown): number {
  const e = toNexusError(err);
  if (e.code === 'internal_error') {
    const cause = e.cause instanceof Error ? e.cause : new Error(String(e.cause));
    process.stderr.write(`nexus: internal error: ${cause.message}\n${cause.stack ?? ''}\n`);
  } else {
    process.stderr.write(`nexus: ${e.message}\n`);
  }
  return e.exitCode;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** A command's result: JSON with `--json`, else the text. */
export function print(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}
