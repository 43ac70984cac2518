// The flags `herald status` and `herald why` share: where the registry is,
// which nameservers to ask, and how long to wait for each.
import { chooseNameservers } from '../operator/index.ts';
import { openStore } from '../registry/index.ts';
import { UsageError, type CommandIO } from './command.ts';

/** The flags `herald status` and `herald why` share, as their usage lists them. */
export const operatorFlagsHelp = `  --zk HOSTS              ZooKeeper connect string, or memory://HOST:PORT
                          (default $HERALD_ZK, else 127.0.0.1:2181)
  --nameservers LIST      nameservers to ask, ip[:port],... (default /etc/resolv.conf)
  --bootstrap DOMAIN      ask the nameservers that _dns._udp.DOMAIN lists (that SRV is
                          looked up through --nameservers when given, else resolv.conf)
  --timeout S             per-query timeout (default 1)
  --connect-timeout S     fail when the registry cannot be reached (default 5)`;

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
