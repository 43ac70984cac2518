import { hostname } from 'node:os';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && LEVELS.includes(value);
}

/**
 * A pino logger whose lines the bunyan CLI reads: bunyan's numeric levels
 * (pino uses the same numbers), `name`, `hostname`, `pid`, `msg`, an ISO
 * `time` and `v: 0`. Triton operators keep their `bunyan` habits.
 */
export function createLogger(name: string, options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name,
      level: options.level ?? 'info',
      base: { pid: process.pid, hostname: hostname() },
      timestamp: () => `,"time":"${new Date().toISOString()}","v":0`,
      messageKey: 'msg',
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
