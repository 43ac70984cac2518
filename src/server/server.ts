import type { Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server as TcpServer, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { normalizeName } from '../dns/name.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Mirror, Snapshot } from '../registry/store.ts';
import { ListenError } from './errors.ts';
import { parseListen, type ListenAddress } from './listen.ts';
import { MAX_QUERY, Responder } from './responder.ts';
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
   * clients over them). 1 answers in this thread only. @default 1
   */
  threads?: number;
  /** A TCP connection idle this long is closed. @default 10000 */
  tcpIdleMs?: number;
  /** TCP connections beyond this many are refused. @default 256 */
  maxTcpConnections?: number;
  /** Cached (name, type) answers kept before the cache starts over. @default 10000 */
  maxCacheEntries?: number;
  /** Response rate limiting on UDP (src/server/rrl.ts); absent or `responsesPerSecond: 0`: off. */
  rrl?: RrlOptions;
  /** Called when a source prefix starts being rate limited: at most once per prefix per RRL window. */
  onRateLimited?: (prefix: string) => void;
}

const WORKER_URL = new URL('./udp-worker.ts', import.meta.url);

/**
 * binder-compatible DNS server over a registry mirror: UDP and TCP, answers
 * cached as wire bytes per (name, type) and patched per query, the cache
 * dropped whole on every snapshot change. SERVFAIL until the mirror's first
 * full sync; the last snapshot keeps being served while the registry is away.
 */
export class DnsServer {
  readonly #mirror: Mirror;
  readonly #domain: string;
  readonly #listen: ListenAddress[];
  readonly #threads: number;
  readonly #tcpIdleMs: number;
  readonly #maxTcp: number;
  readonly #maxCache: number;
  readonly #responder: Responder;
  #udp: UdpSocket[] = [];
  #tcp: TcpServer[] = [];
  #workers: { worker: Worker; stats: ServerStats | undefined }[] = [];
  readonly #connections = new Set<Socket>();
  #bound: ListenAddress[] = [];
  #lastChange = 0;
  readonly #rrl: Required<RrlOptions> | undefined;
  readonly #onRateLimited: ((prefix: string) => void) | undefined;

  constructor(options: DnsServerOptions) {
    if (!options.mirror) throw new InvalidArgumentError('`mirror` is required');
    this.#mirror = options.mirror;
    this.#domain = normalizeName(options.domain);
    if (!Array.isArray(options.listen) || options.listen.length === 0) throw new InvalidArgumentError('`listen` needs at least one address');
    this.#listen = options.listen.map((l) => (typeof l === 'string' ? parseListen(l) : parseListen(`${isIP(l.address) === 6 ? `[${l.address}]` : l.address}:${l.port}`)));
    this.#threads = positiveInt(options.threads, 'threads', 1);
    this.#tcpIdleMs = positiveInt(options.tcpIdleMs, 'tcpIdleMs', 10_000);
    this.#maxTcp = positiveInt(options.maxTcpConnections, 'maxTcpConnections', 256);
    this.#maxCache = positiveInt(options.maxCacheEntries, 'maxCacheEntries', 10_000);
    this.#responder = new Responder(this.#domain, this.#maxCache);
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
  /** Counters of every thread (worker threads report once a second). */
  get stats(): ServerStats {
    return sumStats([this.#responder.stats, ...this.#workers.flatMap((w) => (w.stats ? [w.stats] : []))]);
  }

  /** Answers one query packet in this thread (the UDP and TCP paths use it); undefined means dropped. */
  handle(msg: Buffer, tcp: boolean): Buffer | undefined {
    return this.#responder.handle(msg, tcp);
  }

  #onSnapshot = (snapshot: Snapshot): void => {
    this.#responder.setSnapshot(snapshot);
    for (const w of this.#workers) w.worker.postMessage({ snapshot });
    this.#lastChange = Date.now();
  };

  async start(): Promise<void> {
    this.#mirror.on('synced', this.#onSnapshot);
    this.#mirror.on('change', this.#onSnapshot);
    if (this.#mirror.snapshot) this.#onSnapshot(this.#mirror.snapshot);
    try {
      for (const l of this.#listen) {
        const port = await this.#bindBoth(l.address, l.port);
        for (let i = 1; i < this.#threads; i++) await this.#startWorker(l.address, port);
        this.#bound.push({ address: l.address, port });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** UDP then TCP on the same port; for port 0, a port free for both (UDP's pick may be taken for TCP). */
  async #bindBoth(address: string, port: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const udp = await bindUdp(this.#responder, address, port, this.#threads > 1, this.#rrl && new RrlGate(this.#rrl, this.#responder.stats, this.#onRateLimited));
      const bound = udp.address().port;
      try {
        await this.#bindTcp(address, bound);
        this.#udp.push(udp);
        return bound;
      } catch (err) {
        await new Promise<void>((r) => udp.close(() => r()));
        if (port !== 0 || attempt >= 20) throw err;
      }
    }
  }

  async #startWorker(address: string, port: number): Promise<void> {
    const worker = new Worker(WORKER_URL, { workerData: { domain: this.#domain, address, port, maxCacheEntries: this.#maxCache, rrl: this.#rrl } });
    const entry: { worker: Worker; stats: ServerStats | undefined } = { worker, stats: undefined };
    this.#workers.push(entry);
    worker.on('message', (msg: { stats?: ServerStats; rrlLimited?: string }) => {
      if (msg.stats) entry.stats = msg.stats;
      if (msg.rrlLimited !== undefined) this.#onRateLimited?.(msg.rrlLimited);
    });
    if (this.#mirror.snapshot) worker.postMessage({ snapshot: this.#mirror.snapshot });
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
    if (this.#connections.size >= this.#maxTcp) { conn.destroy(); return; }
    this.#connections.add(conn);
    const stats = this.#responder.stats;
    stats.tcpConnections++;
    conn.setNoDelay(true);
    conn.setTimeout(this.#tcpIdleMs, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('close', () => this.#connections.delete(conn));
    let pending: Buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (length > MAX_QUERY) { stats.dropped.oversized++; conn.destroy(); return; }
        if (pending.length < 2 + length) break;
        const msg = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        stats.tcp++;
        const reply = this.#responder.handle(msg, true);
        if (reply) {
          const frame = Buffer.allocUnsafe(2 + reply.length);
          frame.writeUInt16BE(reply.length, 0);
          reply.copy(frame, 2);
          conn.write(frame);
        }
      }
    });
  }

  async stop(): Promise<void> {
    this.#mirror.off('synced', this.#onSnapshot);
    this.#mirror.off('change', this.#onSnapshot);
    for (const conn of this.#connections) conn.destroy();
    const workers = this.#workers;
    await Promise.all([
      ...this.#udp.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } })),
      ...this.#tcp.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...workers.map(({ worker }) => new Promise<void>((r) => {
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
