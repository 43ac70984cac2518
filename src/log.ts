// Herald's log lines: bunyan records, one JSON object a line. Written here
// rather than with pino: a sidecar runs in every zone and pays for what it
// loads (pino and its streams cost ~8 MB RSS, this file nothing measurable),
// and Herald logs a line per state change, never per request.
import { hostname } from 'node:os';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
/** bunyan's numbers for the levels (the `level` field). */
const LEVEL_NUMBERS: Readonly<Record<LogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(LEVEL_NUMBERS, value);
}

/** Where lines go: anything with `write(line)`; by default process.stderr (synchronous for files and pipes on POSIX). */
export interface LogDestination {
  write(line: string): unknown;
}

type LogMethod = {
  (fields: object, msg?: string): void;
  (msg: string): void;
};

export interface Logger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
  /** A logger whose every line also carries `bindings`. */
  child(bindings: object): Logger;
}

/** An Error as bunyan's `err` serializer shows one; other values as they are. */
function plain(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { ...value, type: value.name, message: value.message, stack: value.stack };
}

function fieldsOf(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = plain(v);
  return out;
}

/** One line; fields that cannot be written (a cycle, a BigInt) cost only themselves. */
function line(head: Record<string, unknown>, fields: Record<string, unknown>, msg: string): string {
  try {
    return `${JSON.stringify({ ...head, ...fields, msg })}\n`;
  } catch (err) {
    return `${JSON.stringify({ ...head, msg, logError: `fields not written: ${(err as Error).message}` })}\n`;
  }
}

function makeLogger(name: string, host: string, threshold: number, bindings: Record<string, unknown>, destination: LogDestination): Logger {
  const method = (level: LogLevel): LogMethod => {
    const n = LEVEL_NUMBERS[level];
    if (n < threshold) return () => undefined;
    return (fieldsOrMsg: object | string, msg?: string) => {
      const fields = typeof fieldsOrMsg === 'string' ? {} : fieldsOf(fieldsOrMsg);
      const text = typeof fieldsOrMsg === 'string' ? fieldsOrMsg : (msg ?? '');
      const head = { name, hostname: host, pid: process.pid, level: n, ...bindings, time: new Date().toISOString(), v: 0 };
      destination.write(line(head, fields, text));
    };
  };
  return {
    trace: method('trace'), debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error'), fatal: method('fatal'),
    child: (more) => makeLogger(name, host, threshold, { ...bindings, ...fieldsOf(more) }, destination),
  };
}

/**
 * A logger whose lines the bunyan CLI reads: bunyan's numeric levels,
 * `name`, `hostname`, `pid`, `msg`, an ISO `time` and `v: 0`. Triton
 * operators keep their `bunyan` habits. Lines below `level` are dropped
 * without being built.
 */
export function createLogger(name: string, options: { level?: LogLevel; destination?: LogDestination } = {}): Logger {
  return makeLogger(name, hostname(), LEVEL_NUMBERS[options.level ?? 'info'], {}, options.destination ?? process.stderr);
}
