import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { createLogger } from '../log.ts';
import { openStore } from '../registry/index.ts';
import { formatHostPort, parseListen, type ListenAddress } from '../host-port.ts';
import { listenAdmin, parseConfigText, type SidecarConfig, SidecarConfigError, Sidecar } from '../sidecar/index.ts';
import { describeProgress } from '../drain/index.ts';
import { UsageError, type Command, type CommandIO, parseCommandLine } from './command.ts';
import { authOption, ZK_AUTH_OPTION, zkAuthUsage, zkAuth } from './zk-auth.ts';
import { compactHeap } from '../compact-heap.ts';
import { flushCompileCache } from 'node:module';

export const DEFAULT_ADMIN_SOCKET = '/var/run/herald-sidecar.sock';

const usage = `usage: herald sidecar --config FILE [--zk HOSTS] [--zk-auth FILE] [--admin-socket PATH] [--metrics ADDR:PORT]

Registers this instance in ZooKeeper while it is healthy, as registrar does
(its config file is accepted verbatim), follows drain requests (herald drain),
and on SIGTERM/SIGINT leaves DNS at once, drains briefly and exits 0.

  --config FILE           registrar's JSON config, with Herald's extensions (src/sidecar/README.md)
  --zk HOSTS              ZooKeeper connect string (default: the config's zookeeper.servers)
${zkAuthUsage(26)}
                          (default: the config's zookeeper.authFile)
  --admin-socket PATH     local drain/resume/status socket, mode 0600
                          (default: the config's adminSocket, else ${DEFAULT_ADMIN_SOCKET}; "none" disables)
  --metrics ADDR:PORT     Prometheus metrics at http://ADDR:PORT/metrics`;

function parse(argv: string[]) {
  return parseCommandLine({
    args: argv,
    options: { config: { type: 'string' }, zk: { type: 'string' }, ...ZK_AUTH_OPTION, 'admin-socket': { type: 'string' }, metrics: { type: 'string' } },
    strict: true, allowPositionals: false,
  }).values;
}

function connectString(config: SidecarConfig, flag: string | undefined): string {
  if (flag !== undefined) return flag;
  const servers = config.zookeeper?.servers;
  if (!servers) throw new UsageError('no ZooKeeper: give --zk HOSTS or zookeeper.servers in the config');
  return servers.map((s) => formatHostPort(s.host, s.port)).join(',');
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const values = parse(argv);
  if (!values.config) throw new UsageError('--config FILE is required');
  let text: string;
  try {
    text = await readFile(values.config, 'utf8');
  } catch (err) {
    io.stderr.write(`herald sidecar: cannot read ${values.config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseConfigText(text);
  } catch (err) {
    if (!(err instanceof SidecarConfigError)) throw err;
    io.stderr.write(`herald sidecar: ${values.config}: ${err.message}\n`);
    return 2;
  }
  const { config, warnings } = parsed;
  const zk = connectString(config, values.zk);
  const auth = await zkAuth(values['zk-auth'] ?? config.zookeeper?.authFile);
  const listenMetrics = metricsAddress(values.metrics ?? config.metrics, values.metrics !== undefined);
  const socketPath = values['admin-socket'] ?? config.adminSocket ?? DEFAULT_ADMIN_SOCKET;

  const log = createLogger('herald-sidecar', { level: config.logLevel });
  for (const w of warnings) log.warn({ config: values.config }, w);
  const store = openStore(zk, { sessionTimeoutMs: config.zookeeper?.timeout ?? 30_000, ...authOption(auth) });
  store.on('state', (state) => log.info({ state }, `registry session ${state}`));
  // prom-client and node:http are loaded only for --metrics / `metrics` (a sidecar's footprint is paid once per zone).
  const metrics = listenMetrics && new (await import('../sidecar/metrics.ts')).SidecarMetrics({ domain: config.registration.domain, instance: config.instance });
  const sidecar = new Sidecar({ config, store, logger: log, ...(metrics ? { metrics } : {}) });
  let admin: NetServer | undefined;
  let http: Server | undefined;
  let metricsUrl = '';
  // The metrics port is bound before anything is registered: a busy port is
  // one line and exit 1 with nothing written to the registry.
  if (listenMetrics && metrics) {
    try {
      const { serveMetrics } = await import('../metrics-endpoint.ts');
      const endpoint = await serveMetrics(metrics.registry, listenMetrics);
      http = endpoint.server;
      metricsUrl = endpoint.url;
    } catch (err) {
      io.stderr.write(`herald sidecar: cannot serve metrics on ${formatHostPort(listenMetrics.address, listenMetrics.port)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      await store.close();
      return 1;
    }
    io.stdout.write(`metrics ${metricsUrl}\n`);
  }
  try {
    await sidecar.start();
    if (socketPath !== 'none') {
      try {
        admin = await listenAdmin(socketPath, sidecar);
        io.stdout.write(`admin socket ${socketPath}\n`);
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, `no admin socket at ${socketPath}`);
      }
    }
    io.stdout.write(`sidecar ${config.instance}.${config.registration.domain} started\n`);
    // Start-up is over once the instance is first registered (or found unhealthy).
    const settled = (s: { state: string }) => {
      if (s.state === 'starting') return;
      sidecar.off('status', settled);
      compactHeap();
      // Where the launcher turned Node's compile cache on (the npm package), write it now rather than at
      // exit: a sidecar runs until the zone stops, and its next start, from the cache, holds 1.5 MB less.
      flushCompileCache?.();
    };
    sidecar.on('status', settled);
    if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
    log.info('stopping: leaving the registry, short drain');
    const progress = await sidecar.stop();
    if (progress) log.info({ drain: progress }, `stopped: ${describeProgress(progress, Date.now())}`);
    return 0;
  } finally {
    await sidecar.stop();
    admin?.close();
    if (http) await new Promise((r) => http!.close(r));
    await store.close();
  }
}

/** `--metrics` (a usage error when bad) or the config's `metrics` (already checked). */
function metricsAddress(text: string | undefined, fromFlag: boolean): ListenAddress | undefined {
  if (text === undefined) return undefined;
  try {
    return parseListen(text, 9154);
  } catch (err) {
    if (fromFlag) throw new UsageError(`--metrics: ${(err as Error).message}`);
    throw err;
  }
}



const sidecar: Command = { summary: 'register this instance while healthy; drain on request; leave DNS at once on SIGTERM', usage, run };
export default sidecar;
