import { isIP } from 'node:net';
import { normalizeName } from '../dns/index.ts';
import { parseNameservers, type Nameserver } from '../resolver/index.ts';
import { UsageError, parseCommandLine } from './command.ts';
import type { Direction } from './wait-verdict.ts';

export interface WaitArgs {
  direction: Direction;
  name: string;
  addresses: string[];
  nameservers: Nameserver[] | undefined;
  bootstrap: string | undefined;
  timeoutMs: number;
  intervalMs: number;
  queryTimeoutMs: number;
  json: boolean;
}

function seconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} needs a positive number of seconds, got ${JSON.stringify(text)}`);
  return n * 1000;
}

export function parseWaitArgs(argv: string[]): WaitArgs {
  const parsed = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: {
      in: { type: 'boolean' }, out: { type: 'boolean' },
      nameservers: { type: 'string' }, bootstrap: { type: 'string' },
      timeout: { type: 'string' }, interval: { type: 'string' }, 'query-timeout': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const { values: v, positionals } = parsed;
  if (v.in === v.out) throw new UsageError('give exactly one of --in or --out');
  const [rawName, ...addresses] = positionals;
  if (rawName === undefined || addresses.length === 0) throw new UsageError('needs NAME and at least one ADDRESS');
  let name: string;
  try { name = normalizeName(rawName); } catch (err) { throw new UsageError((err as Error).message); }
  for (const a of addresses) if (!isIP(a)) throw new UsageError(`${JSON.stringify(a)} is not an IP address`);
  let nameservers: Nameserver[] | undefined;
  try {
    nameservers = v.nameservers === undefined ? undefined : parseNameservers(v.nameservers);
  } catch (err) {
    throw new UsageError(`--nameservers: ${(err as Error).message}`);
  }
  if (nameservers?.length === 0) throw new UsageError('--nameservers lists no nameserver');
  let bootstrap: string | undefined;
  try { bootstrap = v.bootstrap === undefined ? undefined : normalizeName(v.bootstrap); } catch (err) { throw new UsageError(`--bootstrap: ${(err as Error).message}`); }
  const intervalMs = seconds('interval', v.interval, 1000);
  return {
    direction: v.in ? 'in' : 'out', name, addresses, nameservers, bootstrap,
    timeoutMs: seconds('timeout', v.timeout, 60_000), intervalMs,
    queryTimeoutMs: seconds('query-timeout', v['query-timeout'], Math.min(1000, intervalMs)),
    json: v.json === true,
  };
}
