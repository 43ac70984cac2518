import type { Server } from 'node:http';
import { serveMetrics } from '../metrics-endpoint.ts';
import { availableParallelism } from 'node:os';
import { Registry } from 'prom-client';
import { createLogger, isLogLevel } from '../log.ts';
import { TTL_ROOT } from '../drain/index.ts';
import { isLoopback, openMemoryStore, openStore, domainToPath, type Store } from '../registry/index.ts';
import { zkAuth } from './zk-auth.ts';
import { RRL_DEFAULTS, rrlSettings, type RrlOptions, registerServerMetrics, DnsServer, logServeEvents } from '../server/index.ts';
import { formatHostPort, parseListen, type ListenAddress } from '../host-port.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';

const usage = `usage: herald serve (--zk HOSTS | --registry memory [--registry-listen ADDR:PORT [--registry-token FILE]]) --domain DOMAIN
                    [--listen ADDR:PORT]... [--metrics ADDR:PORT] [--threads N] [--log-level LEVEL]

Answers DNS for DOMAIN as binder does, from ZooKeeper (HOSTS: host:port,...[/chroot])
or from an in-memory registry. UDP and TCP on each --listen (default 127.0.0.1:53).

  --zk HOSTS              ZooKeeper connect string
  --registry memory       serve an in-memory registry instead
  --registry-listen A:P   let other processes (sidecars) write to that memory registry:
                          they use --zk memory://A:P
  --registry-token FILE   a user:password file (mode 0600) that clients must send first
                          (--zk-auth FILE, or memory://USER:PASSWORD@A:P); required to
                          listen on any address but loopback (127.0.0.0/8, ::1)
  --domain DOMAIN         the domain served (names outside it are REFUSED)
  --listen ADDR:PORT      where to answer; repeatable; port 0 picks one
  --metrics ADDR:PORT     Prometheus metrics at http://ADDR:PORT/metrics
  --threads N             threads answering UDP (default: one per CPU)
  --rrl N|off             response rate limiting: N full UDP answers a second per
                          (source /24 or /56, answer), the rest dropped or slipped
                          (default ${RRL_DEFAULTS.responsesPerSecond}; src/server/README.md)
  --rrl-slip N            every Nth limited reply is sent truncated, so real clients
                          retry over TCP; 0 never (default ${RRL_DEFAULTS.slip})
  --rrl-window S          seconds between two log lines about one prefix (default ${RRL_DEFAULTS.windowSeconds})
  --session-timeout MS    ZooKeeper session timeout (default 30000)
  --one-shot-watches      follow ZooKeeper by a data and a child watch per node, not by
                          one persistent recursive watch (3.6+; an older server is
                          detected and gets one-shot watches anyway)
  --log-level LEVEL       trace, debug, info (default), warn, error or fatal

Prints on stdout, one line each: "registry memory://ADDR:PORT" (with
--registry-listen), "metrics http://ADDR:PORT/metrics" (with --metrics), then
"listening ADDR:PORT... domain DOMAIN" once it answers. Logs go to stderr as
bunyan-compatible JSON, one line per state transition.`;

/** `--rrl N|off`, `--rrl-slip N`, `--rrl-window S` → RrlOptions (responsesPerSecond 0: off). */
function rrlOptions(rate: string | undefined, slip: string | undefined, window: string | undefined): Required<RrlOptions> {
  const int = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer, got "${v}"`);
    return n;
  };
  const responsesPerSecond = rate === 'off' ? 0 : int(rate, '--rrl');
  const o: RrlOptions = {};
  if (responsesPerSecond !== undefined) o.responsesPerSecond = responsesPerSecond;
  const s = int(slip, '--rrl-slip');
  if (s !== undefined) o.slip = s;
  const w = int(window, '--rrl-window');
  if (w !== undefined) o.windowSeconds = w;
  try {
    return rrlSettings(o);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const listenText = (l: ListenAddress): string => formatHostPort(l.address, l.port);

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandLine({
    args: argv,
    options: {
      zk: { type: 'string' }, registry: { type: 'string' }, domain: { type: 'string' },
      listen: { type: 'string', multiple: true }, metrics: { type: 'string' }, 'session-timeout': { type: 'string' }, threads: { type: 'string' },
      rrl: { type: 'string' }, 'rrl-slip': { type: 'string' }, 'rrl-window': { type: 'string' },
      'registry-listen': { type: 'string' }, 'registry-token': { type: 'string' }, 'log-level': { type: 'string' },
      'one-shot-watches': { type: 'boolean' },
    },
    strict: true, allowPositionals: false,
  });
  if (!values.domain) throw new UsageError('--domain is required');
  if ((values.zk === undefined) === (values.registry === undefined)) throw new UsageError('give exactly one of --zk HOSTS and --registry memory');
  if (values.registry !== undefined && values.registry !== 'memory') throw new UsageError(`--registry takes only "memory", not "${values.registry}"`);
  const sessionTimeoutMs = values['session-timeout'] === undefined ? 30_000 : Number(values['session-timeout']);
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs <= 0) throw new UsageError('--session-timeout must be a positive number of milliseconds');
  const threads = values.threads === undefined ? availableParallelism() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError('--threads must be an integer 1..64');
  const listen = (values.listen ?? ['127.0.0.1:53']).map((l) => parseListen(l));
  if (values['registry-listen'] !== undefined && values.registry === undefined) throw new UsageError('--registry-listen goes with --registry memory');
  const registryAt = values['registry-listen'] === undefined ? undefined : parseListen(values['registry-listen'], 2181);
  if (values['registry-token'] !== undefined && registryAt === undefined) throw new UsageError('--registry-token goes with --registry-listen');
  const registryToken = await zkAuth(values['registry-token']);
  if (registryAt && !registryToken && !isLoopback(registryAt.address)) throw new UsageError(`--registry-listen ${registryAt.address} is not loopback: give --registry-token FILE`);
  const rrl = rrlOptions(values.rrl, values['rrl-slip'], values['rrl-window']);
  const metricsAt = values.metrics === undefined ? undefined : parseListen(values.metrics, 9153);
  const level = values['log-level'] ?? 'info';
  if (!isLogLevel(level)) throw new UsageError(`--log-level must be trace, debug, info, warn, error or fatal, not "${level}"`);

  const memory = values.zk === undefined
    ? await openMemoryStore({ ...(registryAt ? { listen: registryAt } : {}), ...(registryToken ? { token: registryToken } : {}) })
    : undefined;
  if (values['one-shot-watches'] && values.zk === undefined) throw new UsageError('--one-shot-watches goes with --zk');
  const store: Store = memory?.store ?? openStore(values.zk!, { sessionTimeoutMs, persistentWatches: !values['one-shot-watches'] });
  // The command's own stderr (process.stderr when run as `herald`), written synchronously.
  const log = createLogger('herald-serve', { level, destination: io.stderr });
  const mirror = store.mirror(domainToPath(values.domain));
  logServeEvents(store, mirror, log);
  const onRateLimited = (prefix: string): void => log.warn({ prefix, rrl }, `rate limiting replies to ${prefix} (more than ${rrl.responsesPerSecond}/s for one answer)`);
  // Herald's TTL overrides (herald roll --fast-ttl): served as caps on the answers' TTLs.
  const ttlOverrides = store.mirror(TTL_ROOT);
  const server = new DnsServer({
    mirror, domain: values.domain, listen, threads, ttlOverrides, rrl, onRateLimited,
    onReject: (r) => log.warn({ path: r.path, reason: r.reason }, `cannot serve ${r.path}, skipped: ${r.message}`),
  });
  let http: Server | undefined;
  try {
    await server.start();
    if (memory?.url) {
      const url = memory.url;
      log.info({ registry: url }, `memory registry listening at ${url}`);
      io.stdout.write(`registry ${url}\n`);
    }
    if (metricsAt) {
      const registry = new Registry();
      registerServerMetrics(server, registry);
      const endpoint = await serveMetrics(registry, metricsAt);
      http = endpoint.server;
      const url = endpoint.url;
      log.info({ metrics: url }, `metrics at ${url}`);
      io.stdout.write(`metrics ${url}\n`);
    }
    const addresses = server.addresses.map(listenText);
    log.info({ listen: addresses, domain: server.domain }, `listening on ${addresses.join(' ')} for ${server.domain}`);
    io.stdout.write(`listening ${addresses.join(' ')} domain ${server.domain}\n`);
    if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
    const signal = typeof io.signal.reason === 'string' ? io.signal.reason : 'abort';
    log.info({ signal }, `${signal}: stopping`);
    return 0;
  } finally {
    await server.stop();
    if (http) await new Promise((r) => http!.close(r));
    mirror.close();
    ttlOverrides.close();
    await (memory ? memory.close() : store.close());
    log.info('closed: sockets, workers and the registry session');
  }
}

const serve: Command = { summary: 'answer DNS for a domain from ZooKeeper or memory, as binder does', usage, run };
export default serve;
