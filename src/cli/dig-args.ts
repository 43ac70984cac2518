import { parseType, reverseName, RecordType } from '../dns/index.ts';
import { UsageError } from './command.ts';

export interface DigArgs {
  server: string | undefined;
  port: number | undefined;
  name: string;
  type: number;
  short: boolean;
  tcp: boolean;
  json: boolean;
  /** Per-query timeout, seconds (dig's +time, default 5). */
  time: number;
  /** Attempts (dig's +tries, default 3; +retry=N means N+1). */
  tries: number;
}

function number(flag: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isFinite(n) || n < min) throw new UsageError(`${flag} needs a number ≥ ${min}, got ${JSON.stringify(text ?? '')}`);
  return n;
}

/** Parses dig's own syntax for the options Herald supports. */
export function parseDigArgs(argv: readonly string[]): DigArgs {
  const a: DigArgs = { server: undefined, port: undefined, name: '', type: RecordType.A, short: false, tcp: false, json: false, time: 5, tries: 3 };
  let name: string | undefined;
  let type: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg.startsWith('@')) {
      a.server = arg.slice(1);
      if (!a.server) throw new UsageError('@ needs a server address');
    } else if (arg === '-p' || /^-p\d+$/.test(arg)) {
      a.port = number('-p', arg === '-p' ? next() : arg.slice(2), 1);
      if (!Number.isInteger(a.port) || a.port > 65535) throw new UsageError(`-p needs a port 1-65535, got ${a.port}`);
    } else if (arg === '-t') {
      const v = next();
      type = parseType(v);
      if (type === undefined) throw new UsageError(`-t: unknown record type ${JSON.stringify(v)}`);
    } else if (arg === '-x') {
      const v = next();
      try { name = reverseName(v); } catch { throw new UsageError(`-x needs an IPv4 or IPv6 address, got ${JSON.stringify(v)}`); }
      type ??= RecordType.PTR;
    } else if (arg === '--json') {
      a.json = true;
    } else if (arg.startsWith('+')) {
      const [key, value] = arg.slice(1).split('=', 2) as [string, string | undefined];
      switch (key) {
        case 'short': a.short = true; break;
        case 'noshort': a.short = false; break;
        case 'tcp': case 'vc': a.tcp = true; break;
        case 'notcp': case 'novc': a.tcp = false; break;
        case 'json': a.json = true; break;
        case 'time': a.time = number('+time', value, 1); break;
        case 'tries': a.tries = Math.floor(number('+tries', value, 1)); break;
        case 'retry': a.tries = Math.floor(number('+retry', value, 0)) + 1; break;
        default: throw new UsageError(`unsupported option ${arg}`);
      }
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unsupported option ${arg}`);
    } else if (arg.toUpperCase() === 'IN') {
      // The class: IN is the only one Herald asks.
    } else if (type === undefined && name !== undefined && parseType(arg) !== undefined) {
      type = parseType(arg);
    } else if (name === undefined) {
      // dig reads a leading type too: `dig SRV name`.
      if (type === undefined && parseType(arg) !== undefined && argv.slice(i + 1).some((x) => !x.startsWith('+') && !x.startsWith('-') && !x.startsWith('@'))) type = parseType(arg);
      else name = arg;
    } else {
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)} (one name per query)`);
    }
  }
  if (name === undefined) throw new UsageError('a NAME to look up is required');
  a.name = name;
  a.type = type ?? RecordType.A;
  return a;
}
