// Structured JSON logs (pino) on stdout, where journald collects them.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'nexus'): Logger {
  // stderr: stdout stays free for command output; journald collects both.
  return pino({ name, level, base: { name }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
