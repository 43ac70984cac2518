import { normalizeName } from '../dns/index.ts';
import { gatherStatus } from '../operator/gather.ts';
import { chooseNameservers } from '../operator/nameservers.ts';
import { renderStatus } from '../operator/status-render.ts';
import { openStore } from '../registry/open.ts';
import { openRegistryWarning } from '../registry/acl-apply.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';

/** The flags `herald status` and `herald why` share, as their usage lists them. */
export const operatorFlagsHelp = `  --zk HOSTS              ZooKeeper connect string, or memory://HOST:PORT
                          (default $HERALD_ZK, else 127.0.0.1:2181)
  --nameservers LIST      nameservers to ask, ip[:port],... (default /etc/resolv.conf)
  --bootstrap DOMAIN      ask the nameservers that _dns._udp.DOMAIN lists (that SRV is
                          looked up through --nameservers when given, else resolv.conf)
  --timeout S             per-query timeout (default 1)
  --connect-timeout S     fail when the registry cannot be reached (default 5)`;

const usage = `usage: herald status [--zk HOSTS] [DOMAIN] [--json] [--nameservers LIST | --bootstrap DOMAIN]

Every service under DOMAIN (default: the whole registry) with its instances:
address, ports, state (registered, unhealthy, draining with its phase,
drained, starting, stopped, absent, rejected), since when, the host node's ZooKeeper
session, and whether each nameserver serves it right now.

${operatorFlagsHelp}
  --json                  the report as JSON`;

export interface OperatorFlags {
  zk?: string | undefined;
  nameservers?: string | undefined;
  bootstrap?: string | undefined;
  timeout?: string | undefined;
  'connect-timeout'?: string | undefined;
}

export const operatorOptions = {
  zk: { type: 'string' }, nameservers: { type: 'string' }, bootstrap: { type: 'string' },
  timeout: { type: 'string' }, 'connect-timeout': { type: 'string' }, json: { type: 'boolean' },
} as const;

function seconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds, got "${value}"`);
  return n * 1000;
}

/** Parses the flags `status` and `why` share; runs `body` with an open registry session and the nameservers. */
export async function withRegistry<T>(values: OperatorFlags, io: CommandIO,
  body: (o: { store: ReturnType<typeof openStore>; nameservers: string[]; timeoutMs: number; connectTimeoutMs: number }) => Promise<T>): Promise<T> {
  if (values.nameservers !== undefined && values.nameservers.trim() === '') throw new UsageError('--nameservers needs at least one ip[:port]');
  const timeoutMs = seconds(values.timeout, '--timeout', 1);
  const connectTimeoutMs = seconds(values['connect-timeout'], '--connect-timeout', 5);
  let nameservers: string[];
  try {
    nameservers = await chooseNameservers(values.nameservers, values.bootstrap, timeoutMs);
  } catch (err) {
    if ((err as { code?: string }).code === 'HERALD_INVALID_NAMESERVER') throw new UsageError((err as Error).message);
    throw err;
  }
  const store = openStore(values.zk ?? io.env['HERALD_ZK'] ?? '127.0.0.1:2181', { operationTimeoutMs: connectTimeoutMs });
  try {
    return await body({ store, nameservers, timeoutMs, connectTimeoutMs });
  } finally {
    await store.close();
  }
}

/** Colour only on a terminal, and never with NO_COLOR set. */
export function useColor(io: CommandIO): boolean {
  return io.stdout.isTTY === true && !io.env['NO_COLOR'];
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandLine({ args: argv, options: operatorOptions, strict: true, allowPositionals: true });
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`expected at most one DOMAIN, got ${positionals.length}`);
  const domain = positionals[0] ?? '';
  if (domain !== '' && domain !== '.') {
    try {
      normalizeName(domain);
    } catch (err) {
      throw new UsageError(`DOMAIN: ${(err as Error).message}`);
    }
  }
  const report = await withRegistry(values, io, async (o) => {
    const gathered = await gatherStatus(domain, o);
    // After gathering: the session is up by then.
    const warning = await openRegistryWarning(o.store, values.zk ?? io.env['HERALD_ZK'] ?? '127.0.0.1:2181').catch(() => undefined);
    if (warning) io.stderr.write(`herald status: warning: ${warning}\n`);
    return gathered;
  });
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report, { color: useColor(io) }));
  return 0;
}

const status: Command = { summary: 'every service and instance: state, since when, and what each nameserver serves', usage, run };
export default status;
