import type { Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { normalizeName } from '../dns/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { workerScript } from '../entry-points.ts';
import type { Rejection, RejectReason, Mirror, Snapshot, SnapshotDelta } from '../registry/index.ts';
import { ttlCaps } from '../drain/index.ts';
import { ListenError } from './errors.ts';
import { formatHostPort, parseListen, type ListenAddress } from '../host-port.ts';
import { Responder } from './responder.ts';
import { settleAfterSync } from './heap-settle.ts';
import { serveTcpConnection, type TcpLimits } from './tcp-connection.ts';
import { sumStats, type ServerStats } from './stats.ts';
import { bindUdp } from './udp-socket.ts';
import { RrlGate } from './rrl-gate.ts';
import { OncePer, rrlSettings, type RrlOptions } from './rrl.ts';

export interface DnsServerOptions {
  /** The registry's view of the domain's subtree (`store.mirror(domainToPath(domain))`). */
  mirror: Mirror;
  /** The domain served, e.g. `coal.joyent.us`; names outside it are REFUSED. */
  domain: string;
  /** Where to answer, UDP and TCP: `ADDRESS:PORT` strings or objects. Port 0 picks a free one. */
  listen: (string | ListenAddress)[];
  /**
   * Threads answering UDP on each address (SO_REUSEPORT; the kernel spreads
   * clients over them). 1 answers in this thread only; more are worker
   * threads, and this one then answers only TCP. @default 1
   */
  threads?: number;
  /** A TCP connection idle this long is closed. @default 10000 */
  tcpIdleMs?: number;
  /** TCP connections beyond this many are refused. @default 256 */
  maxTcpConnections?: number;
  /** TCP connections from one source address beyond this many are refused, so one client cannot take every slot. @default 32 */
  maxTcpPerSource?: number;
  /** A TCP query must arrive whole within this long of its first byte. @default 5000 */
  tcpQueryMs?: number;
  /** Replies queued on one TCP connection (not yet taken by the client) before its reads pause. @default 64 */
  tcpMaxQueuedReplies?: number;
  /** The same in bytes. @default 262144 */
  tcpMaxQueuedBytes?: number;
  /** Cached (name, type) answers kept before the cache starts over. @default 10000 */
  maxCacheEntries?: number;
  /** Herald's TTL overrides (`store.mirror(TTL_ROOT)`, src/drain/ttl-override.ts): answers under an overridden domain carry at most its TTL. */
  ttlOverrides?: Mirror;
  /** Called once for each node (and content) that cannot be served; `herald serve` logs it. */
  onReject?: (rejection: Rejection) => void;
  /** Response rate limiting on UDP (src/server/rrl.ts); absent or `responsesPerSecond: 0`: off. */
  rrl?: RrlOptions;
  /** Called when a source prefix starts being rate limited: at most once per prefix per RRL window. */
  onRateLimited?: (prefix: string) => void;
}

/**
 * binder-compatible DNS server over a registry mirror: UDP and TCP, answers
 * cached as wire bytes per (name, type) and patched per query. The first
 * full sync builds the zone (and is posted whole to each UDP thread); every
 * later mirror step is a delta, applied to the zone in O(change) in every
 * thread, dropping only the cached answers it could change. SERVFAIL until
 * the first sync; the last state keeps being served while the registry is away.
 */
/** How long `refreshStats` waits for a worker's counts. */
const STATS_WAIT_MS = 200;

/** Asks `worker` for its counts now; resolves when they arrive (the worker's own listener keeps them) or after STATS_WAIT_MS. */
function freshStatsOf(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { clearTimeout(timer); worker.off('message', onMessage); resolve(); };
    const onMessage = (msg: { stats?: ServerStats }): void => { if (msg.stats) done(); };
    const timer = setTimeout(done, STATS_WAIT_MS);
    timer.unref();
    worker.on('message', onMessage);
    worker.postMessage({ sendStats: true });
  });
}

export class DnsServer {
  readonly #mirror: Mirror;
  readonly #overrides: Mirror | undefined;
  #caps: [string, number][] = [];
  readonly #domain: string;
  readonly #listen: ListenAddress[];
  readonly #threads: number;
  readonly #tcpIdleMs: number;
  readonly #maxTcp: number;
  readonly #maxTcpPerSource: number;
  readonly #tcpLimits: TcpLimits;
  readonly #perSource = new Map<string, number>();
  readonly #maxCache: number;
  readonly #responder: Responder;
  #udp: UdpSocket[] = [];
  #tcp: TcpServer[] = [];
  #workers: { worker: Worker; stats: ServerStats | undefined; exited: boolean }[] = [];
  #refreshing: Promise<void> | undefined;
  readonly #connections = new Set<Socket>();
  #bound: ListenAddress[] = [];
  #lastChange = 0;
  readonly #rrl: Required<RrlOptions> | undefined;
  readonly #onRateLimited: ((prefix: string) => void) | undefined;

  constructor(options: DnsServerOptions) {
    if (!options.mirror) throw new InvalidArgumentError('`mirror` is required');
    this.#mirror = options.mirror;
    this.#overrides = options.ttlOverrides;
    this.#domain = normalizeName(options.domain);
    if (!Array.isArray(options.listen) || options.listen.length === 0) throw new InvalidArgumentError('`listen` needs at least one address');
    this.#listen = options.listen.map((l) => (typeof l === 'string' ? parseListen(l) : parseListen(formatHostPort(l.address, l.port))));
    this.#threads = positiveInt(options.threads, 'threads', 1);
    this.#tcpIdleMs = positiveInt(options.tcpIdleMs, 'tcpIdleMs', 10_000);
    this.#maxTcp = positiveInt(options.maxTcpConnections, 'maxTcpConnections', 256);
    this.#maxTcpPerSource = positiveInt(options.maxTcpPerSource, 'maxTcpPerSource', 32);
    this.#tcpLimits = {
      idleMs: this.#tcpIdleMs,
      queryMs: positiveInt(options.tcpQueryMs, 'tcpQueryMs', 5000),
      maxQueuedReplies: positiveInt(options.tcpMaxQueuedReplies, 'tcpMaxQueuedReplies', 64),
      maxQueuedBytes: positiveInt(options.tcpMaxQueuedBytes, 'tcpMaxQueuedBytes', 256 * 1024),
    };
    this.#maxCache = positiveInt(options.maxCacheEntries, 'maxCacheEntries', 10_000);
    this.#responder = new Responder(this.#domain, this.#maxCache, options.onReject);
    const rrl = options.rrl ? rrlSettings(options.rrl) : undefined;
    this.#rrl = rrl && rrl.responsesPerSecond > 0 ? rrl : undefined;
    if (this.#rrl && options.onRateLimited) {
      // Every thread limits alone; this keeps the one-line-per-prefix-per-window promise across them.
      const once = new OncePer(this.#rrl.windowSeconds * 1000);
      const report = options.onRateLimited;
      this.#onRateLimited = (prefix) => { if (once.take(prefix, Date.now())) report(prefix); };
    }
  }

  get domain(): string { return this.#domain; }
  /** The addresses actually bound (ports resolved), after `start()`. */
  get addresses(): readonly ListenAddress[] { return this.#bound; }
  /** True once the mirror delivered its first full copy. */
  get ready(): boolean { return this.#responder.ready; }
  /** Names held in the current zone. */
  get zoneSize(): number { return this.#responder.zoneSize; }
  /** `Date.now()` of the last zone change applied. */
  get lastChange(): number { return this.#lastChange; }
  /** Seconds the served state may be behind the registry (0 while the session is up). */
  get staleSeconds(): number {
    const since = this.#mirror.staleSince;
    return since === undefined ? 0 : (Date.now() - since) / 1000;
  }
  /** The nodes of the current zone that cannot be served (skipped, or SERVFAIL for their own name). */
  get rejected(): readonly Rejection[] { return this.#responder.rejected; }
  /** Nodes rejected since start, by reason (each node and content once). */
  get rejectedTotal(): Readonly<Record<RejectReason, number>> { return this.#responder.rejectedTotal; }
  /** Counters of every thread (worker threads report once a second). */
  get stats(): ServerStats {
    return sumStats([this.#responder.stats, ...this.#workers.flatMap((w) => (w.stats ? [w.stats] : []))]);
  }

  /**
   * Resolves once every running UDP worker has posted its counts as of now
   * (they post them once a second otherwise), or after STATS_WAIT_MS for one
   * that does not: `stats` then holds what was answered up to this moment.
   * Calls while one is under way share it (a scrape reads many metrics).
   */
  refreshStats(): Promise<void> {
    this.#refreshing ??= Promise.all(this.#workers.filter((w) => !w.exited).map((w) => freshStatsOf(w.worker))).then(() => { this.#refreshing = undefined; });
    return this.#refreshing;
  }

  /** Answers one query packet in this thread (the UDP and TCP paths use it); undefined means dropped. */
  handle(msg: Buffer, tcp: boolean): Buffer | undefined {
    return this.#responder.handle(msg, tcp);
  }

  #onSnapshot = (snapshot: Snapshot): void => {
    this.#responder.setSnapshot(snapshot);
    // Before the workers get it, not while they build: a worker done before this thread's collection would answer a change it cannot yet follow.
    settleAfterSync(snapshot.size);
    for (const w of this.#workers) w.worker.postMessage({ snapshot });
    this.#lastChange = Date.now();
  };

  #onDelta = (delta: SnapshotDelta): void => {
    this.#responder.applyDelta(delta);
    for (const w of this.#workers) w.worker.postMessage({ delta });
    this.#lastChange = Date.now();
  };

  #onOverrides = (snapshot: Snapshot): void => {
    const caps = ttlCaps(snapshot);
    this.#caps = [...caps];
    this.#responder.setTtlCaps(caps);
    for (const w of this.#workers) w.worker.postMessage({ ttlCaps: this.#caps });
  };

  async start(): Promise<void> {
    this.#overrides?.on('synced', this.#onOverrides);
    this.#overrides?.on('change', this.#onOverrides);
    if (this.#overrides?.snapshot) this.#onOverrides(this.#overrides.snapshot);
    this.#mirror.on('synced', this.#onSnapshot);
    this.#mirror.on('delta', this.#onDelta);
    if (this.#mirror.snapshot) this.#onSnapshot(this.#mirror.snapshot);
    try {
      for (const l of this.#listen) {
        const { port, udp } = await this.#bindBoth(l.address, l.port);
        this.#udp.push(udp);
        if (this.#threads > 1) {
          for (let i = 0; i < this.#threads; i++) await this.#startWorker(l.address, port);
          // The workers answer UDP; this socket only held the port for them (see #bindBoth).
          this.#udp.splice(this.#udp.indexOf(udp), 1);
          await new Promise<void>((r) => udp.close(() => r()));
        }
        this.#bound.push({ address: l.address, port });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * UDP then TCP on the same port; for port 0, a port free for both (UDP's
   * pick may be taken for TCP). With several threads the UDP socket only
   * holds the port until the workers have bound it too: the main thread
   * answers none of UDP then, since it also follows the registry, and a
   * thread with more to do than the others is where queries wait (the
   * kernel pins each client to one socket).
   */
  async #bindBoth(address: string, port: number): Promise<{ port: number; udp: UdpSocket }> {
    for (let attempt = 0; ; attempt++) {
      const udp = await bindUdp(this.#responder, address, port, this.#threads > 1, this.#rrl && new RrlGate(this.#rrl, this.#responder.stats, this.#onRateLimited));
      const bound = udp.address().port;
      try {
        await this.#bindTcp(address, bound);
        return { port: bound, udp };
      } catch (err) {
        await new Promise<void>((r) => udp.close(() => r()));
        if (port !== 0 || attempt >= 20) throw err;
      }
    }
  }

  async #startWorker(address: string, port: number): Promise<void> {
    const worker = new Worker(workerScript(import.meta.url, 'udp-worker'), { workerData: { domain: this.#domain, address, port, maxCacheEntries: this.#maxCache, rrl: this.#rrl } });
    const entry: { worker: Worker; stats: ServerStats | undefined; exited: boolean } = { worker, stats: undefined, exited: false };
    // A worker that died (say, failing to load) sends no second 'exit': stop() must not wait for one.
    worker.once('exit', () => { entry.exited = true; });
    this.#workers.push(entry);
    worker.on('message', (msg: { stats?: ServerStats; rrlLimited?: string }) => {
      if (msg.stats) entry.stats = msg.stats;
      if (msg.rrlLimited !== undefined) this.#onRateLimited?.(msg.rrlLimited);
    });
    if (this.#mirror.snapshot) worker.postMessage({ snapshot: this.#mirror.snapshot });
    if (this.#caps.length) worker.postMessage({ ttlCaps: this.#caps });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: { bound?: boolean }) => { if (msg.bound) { worker.off('message', onMessage); worker.off('error', onError); resolve(); } };
      const onError = (err: Error) => reject(new ListenError(address, port, err));
      worker.on('message', onMessage);
      worker.once('error', onError);
    });
    worker.on('error', () => {});
  }

  #bindTcp(address: string, port: number): Promise<void> {
    const server = createServer((conn) => this.#onConnection(conn));
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new ListenError(address, port, err)));
      server.listen(port, address, () => {
        server.removeAllListeners('error');
        server.on('error', () => {});
        this.#tcp.push(server);
        resolve();
      });
    });
  }

  #onConnection(conn: Socket): void {
    const stats = this.#responder.stats;
    const source = conn.remoteAddress ?? '';
    const fromSource = this.#perSource.get(source) ?? 0;
    if (this.#connections.size >= this.#maxTcp) { stats.tcpClosed.max_connections++; conn.destroy(); return; }
    if (fromSource >= this.#maxTcpPerSource) { stats.tcpClosed.per_source++; conn.destroy(); return; }
    this.#connections.add(conn);
    this.#perSource.set(source, fromSource + 1);
    stats.tcpConnections++;
    conn.setNoDelay(true);
    conn.on('error', () => conn.destroy());
    conn.on('close', () => {
      this.#connections.delete(conn);
      const n = (this.#perSource.get(source) ?? 1) - 1;
      if (n > 0) this.#perSource.set(source, n);
      else this.#perSource.delete(source);
    });
    serveTcpConnection(conn, (msg) => this.#responder.handle(msg, true), this.#tcpLimits, stats);
  }

  async stop(): Promise<void> {
    this.#overrides?.off('synced', this.#onOverrides);
    this.#overrides?.off('change', this.#onOverrides);
    this.#mirror.off('synced', this.#onSnapshot);
    this.#mirror.off('delta', this.#onDelta);
    for (const conn of this.#connections) conn.destroy();
    const workers = this.#workers;
    await Promise.all([
      ...this.#udp.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } })),
      ...this.#tcp.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...workers.filter((w) => !w.exited).map(({ worker }) => new Promise<void>((r) => {
        const timer = setTimeout(() => { void worker.terminate(); }, 2000);
        worker.once('exit', () => { clearTimeout(timer); r(); });
        worker.postMessage({ stop: true });
      })),
    ]);
    this.#udp = [];
    this.#tcp = [];
    this.#bound = [];
  }
}

function positiveInt(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError(`\`${name}\` must be a positive integer, got ${value}`);
  return value;
}
