// Structured logs (pino) on stderr: JSON lines for journald and log shippers,
// or one readable line per record on a terminal (`NEXUS_LOG_FORMAT`, default
// `auto`: readable when stderr is a terminal, JSON otherwise).
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };
export type LogFormat = 'auto' | 'json' | 'pretty';

export function createLogger(level: string, name = 'nexus', format: LogFormat = 'json'): Logger {
  // stderr: stdout stays free for command output; journald collects both.
  // Synchronous: a crash loses no line, and lines stay in order with what a
  // command writes to stderr itself (pino's asynchronous default reorders them).
  const dest = pino.destination({ dest: 2, sync: true });
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  return pino({ name, level, base: { name }, timestamp: pino.stdTimeFunctions.isoTime }, pretty ? readable(dest) : dest);
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'name', 'service', 'msg', 'req', 'res', 'err', 'responseTime', 'reqId']);

/** `14:17:27  INFO   sync  GET /v1/sync/pull  incoming request  reqId=req-1`: what a person reads in a terminal. */
export function formatRecord(line: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof r.time === 'string' ? r.time.slice(11, 19) : '';
  const parts = [time, LEVELS[r.level as number] ?? String(r.level)];
  if (r.service) parts.push(String(r.service));
  const req = r.req as { method?: string; url?: string } | undefined;
  const res = r.res as { statusCode?: number } | undefined;
  if (req?.method) parts.push(`${req.method} ${req.url}`);
  if (res?.statusCode) parts.push(`${res.statusCode}${typeof r.responseTime === 'number' ? ` ${r.responseTime.toFixed(0)} ms` : ''}`);
  else parts.push(String(r.msg ?? ''));
  const rest = Object.entries(r).filter(([k]) => !SHOWN_ELSEWHERE.has(k)).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (r.reqId) rest.push(`reqId=${r.reqId}`);
  let out = parts.join('  ') + (rest.length ? `  ${rest.join(' ')}` : '');
  const err = r.err as { message?: string; stack?: string } | undefined;
  if (err) out += `\n  ${(r.level as number) >= 50 && err.stack ? err.stack.replace(/\n/g, '\n  ') : err.message}`;
  return out + '\n';
}

function readable(dest: DestinationStream): DestinationStream {
  return { write: (chunk: string) => dest.write(formatRecord(chunk)) };
}
