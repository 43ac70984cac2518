import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP, createServer, type Server as TcpServer, type Socket } from 'node:net';
import { decodeMessage } from '../dns/decode.ts';
import { encodeMessage } from '../dns/encode.ts';
import { emptyMessage } from '../dns/message.ts';
import { normalizeName } from '../dns/name.ts';
import { nameAt } from '../dns/decode.ts';
import { Rcode } from '../dns/types.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Mirror, Snapshot } from '../registry/store.ts';
import { answer } from './answer.ts';
import { ListenError } from './errors.ts';
import { parseListen, type ListenAddress } from './listen.ts';
import { readQuery } from './query.ts';
import { bareReply, encodeAnswer, finish, MAX_UDP, sizeLimit, type WireAnswer } from './response.ts';
import { ServerStats } from './stats.ts';
import { buildZone, type Zone } from './zone.ts';

export interface DnsServerOptions {
  /** The registry's view of the domain's subtree (`store.mirror(domainToPath(domain))`). */
  mirror: Mirror;
  /** The domain served, e.g. `coal.joyent.us`; names outside it are REFUSED. */
  domain: string;
  /** Where to answer, UDP and TCP: `ADDRESS:PORT` strings or objects. Port 0 picks a free one. */
  listen: (string | ListenAddress)[];
  /** A TCP connection idle this long is closed. @default 10000 */
  tcpIdleMs?: number;
  /** TCP connections beyond this many are refused. @default 256 */
  maxTcpConnections?: number;
  /** Cached (name, type) answers kept before the cache starts over. @default 10000 */
  maxCacheEntries?: number;
}

/** A query larger than this is not a query Herald serves. */
const MAX_QUERY = 4096;

/**
 * binder-compatible DNS server over a registry mirror: UDP and TCP, answers
 * cached as wire bytes per (name, type) and patched per query, the cache
 * dropped whole on every snapshot change. SERVFAIL until the mirror's first
 * full sync; the last snapshot keeps being served while the registry is away.
 */
export class DnsServer {
  readonly stats = new ServerStats();
  readonly #mirror: Mirror;
  readonly #domain: string;
  readonly #listen: ListenAddress[];
  readonly #tcpIdleMs: number;
  readonly #maxTcp: number;
  readonly #maxCache: number;
  #zone: Zone | undefined;
  /** qtype → lower-cased wire name → reply. */
  #cache = new Map<number, Map<string, WireAnswer>>();
  #cacheSize = 0;
  #udp: UdpSocket[] = [];
  #tcp: TcpServer[] = [];
  readonly #connections = new Set<Socket>();
  #bound: ListenAddress[] = [];
  #lastChange = 0;

  constructor(options: DnsServerOptions) {
    if (!options.mirror) throw new InvalidArgumentError('`mirror` is required');
    this.#mirror = options.mirror;
    this.#domain = normalizeName(options.domain);
    if (!Array.isArray(options.listen) || options.listen.length === 0) throw new InvalidArgumentError('`listen` needs at least one address');
    this.#listen = options.listen.map((l) => (typeof l === 'string' ? parseListen(l) : parseListen(`${isIP(l.address) === 6 ? `[${l.address}]` : l.address}:${l.port}`)));
    this.#tcpIdleMs = positiveInt(options.tcpIdleMs, 'tcpIdleMs', 10_000);
    this.#maxTcp = positiveInt(options.maxTcpConnections, 'maxTcpConnections', 256);
    this.#maxCache = positiveInt(options.maxCacheEntries, 'maxCacheEntries', 10_000);
  }

  get domain(): string { return this.#domain; }
  /** The addresses actually bound (ports resolved), after `start()`. */
  get addresses(): readonly ListenAddress[] { return this.#bound; }
  /** True once the mirror delivered its first full copy. */
  get ready(): boolean { return this.#zone !== undefined; }
  /** Names held in the current zone. */
  get zoneSize(): number { return this.#zone?.names.size ?? 0; }
  /** `Date.now()` of the last zone change applied. */
  get lastChange(): number { return this.#lastChange; }
  /** Seconds the served state may be behind the registry (0 while the session is up). */
  get staleSeconds(): number {
    const since = this.#mirror.staleSince;
    return since === undefined ? 0 : (Date.now() - since) / 1000;
  }

  #onSnapshot = (snapshot: Snapshot): void => {
    this.#zone = buildZone(snapshot, this.#domain, this.#zone);
    this.#cache = new Map();
    this.#cacheSize = 0;
    this.#lastChange = Date.now();
    this.stats.zoneChanges++;
  };

  async start(): Promise<void> {
    this.#mirror.on('synced', this.#onSnapshot);
    this.#mirror.on('change', this.#onSnapshot);
    if (this.#mirror.snapshot) this.#onSnapshot(this.#mirror.snapshot);
    try {
      for (const l of this.#listen) {
        const port = await this.#bindUdp(l.address, l.port);
        await this.#bindTcp(l.address, port);
        this.#bound.push({ address: l.address, port });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  #bindUdp(address: string, port: number): Promise<number> {
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    this.#udp.push(socket);
    socket.on('message', (msg, rinfo) => {
      this.stats.udp++;
      const reply = this.handle(msg, false);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => reject(new ListenError(address, port, err)));
      socket.bind(port, address, () => {
        socket.removeAllListeners('error');
        // A send error (an ICMP unreachable reported back) must not end the server.
        socket.on('error', () => {});
        resolve(socket.address().port);
      });
    });
  }

  #bindTcp(address: string, port: number): Promise<void> {
    const server = createServer((conn) => this.#onConnection(conn));
    this.#tcp.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new ListenError(address, port, err)));
      server.listen(port, address, () => { server.removeAllListeners('error'); server.on('error', () => {}); resolve(); });
    });
  }

  #onConnection(conn: Socket): void {
    if (this.#connections.size >= this.#maxTcp) { conn.destroy(); return; }
    this.#connections.add(conn);
    this.stats.tcpConnections++;
    conn.setNoDelay(true);
    conn.setTimeout(this.#tcpIdleMs, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('close', () => this.#connections.delete(conn));
    let pending: Buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (length > MAX_QUERY) { this.stats.dropped.oversized++; conn.destroy(); return; }
        if (pending.length < 2 + length) break;
        const msg = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        this.stats.tcp++;
        const reply = this.handle(msg, true);
        if (reply) {
          const frame = Buffer.allocUnsafe(2);
          frame.writeUInt16BE(reply.length, 0);
          conn.write(frame);
          conn.write(reply);
        }
      }
    });
  }

  /**
   * Answers one query packet; undefined when it gets no reply (dropped and
   * counted). Never throws on any input.
   */
  handle(msg: Buffer, tcp: boolean): Buffer | undefined {
    if (msg.length > MAX_QUERY) { this.stats.dropped.oversized++; return undefined; }
    const view = readQuery(msg);
    if (typeof view === 'string') { this.stats.dropped[view]++; return undefined; }
    if (view === undefined || view.ednsUnusual || ((view.flags >> 11) & 0xf) !== 0 || view.qclass !== 1) return this.#slow(msg, tcp);
    const questionEnd = view.nameEnd + 4;
    const zone = this.#zone;
    if (!zone) return this.#bare(msg, questionEnd, Rcode.SERVFAIL, view.ednsSize > 0);
    let byName = this.#cache.get(view.qtype);
    let cached = byName?.get(view.key);
    if (cached) {
      this.stats.cacheHits++;
    } else {
      this.stats.cacheMisses++;
      const computed = this.#compute(zone, msg, view.qtype);
      if (!computed) return this.#bare(msg, questionEnd, Rcode.REFUSED, view.ednsSize > 0);
      if (!computed.cacheable) return this.#bare(msg, questionEnd, computed.wire.rcode, view.ednsSize > 0);
      cached = computed.wire;
      if (this.#cacheSize >= this.#maxCache) { this.#cache = new Map(); this.#cacheSize = 0; byName = undefined; }
      if (!byName) { byName = new Map(); this.#cache.set(view.qtype, byName); }
      byName.set(view.key, cached);
      this.#cacheSize++;
    }
    const variants = cached.variants;
    const variant = variants.length === 1 ? variants[0]! : variants[(Math.random() * variants.length) | 0]!;
    const out = finish(variant, cached.truncated, msg, view.nameEnd, view.ednsSize, tcp);
    this.stats.rcodes[cached.rcode]!++;
    if ((out[2]! & 0x02) !== 0) this.stats.truncated++;
    return out;
  }

  /** Works out the reply for a question not in the cache; undefined when the name cannot even be a DNS name here. */
  #compute(zone: Zone, msg: Buffer, qtype: number): { wire: WireAnswer; cacheable: boolean } | undefined {
    let name: string;
    try {
      name = normalizeName(nameAt(msg, 12).name);
    } catch {
      return undefined;
    }
    const a = answer(zone, name, qtype);
    return { wire: encodeAnswer(name, qtype, a), cacheable: a.cacheable };
  }

  #bare(msg: Buffer, questionEnd: number, rcode: number, opt: boolean): Buffer {
    this.stats.rcodes[rcode]!++;
    return bareReply(msg, questionEnd, rcode, opt);
  }

  /** Anything unusual: several questions, compressed question, EDNS options, other opcodes or classes. */
  #slow(msg: Buffer, tcp: boolean): Buffer | undefined {
    let query;
    try {
      query = decodeMessage(msg);
    } catch {
      this.stats.dropped.malformed++;
      return undefined;
    }
    if (query.qr) { this.stats.dropped.response++; return undefined; }
    const reply = emptyMessage(query.id);
    reply.qr = true;
    reply.opcode = query.opcode;
    reply.rd = query.rd;
    reply.questions = query.questions;
    if (query.edns) reply.edns = { udpSize: MAX_UDP, version: 0, dnssecOk: false };
    const q = query.questions[0];
    if (query.opcode !== 0) reply.rcode = Rcode.NOTIMP;
    else if (query.questions.length !== 1 || !q) reply.rcode = Rcode.FORMERR;
    else if (!this.#zone) reply.rcode = Rcode.SERVFAIL;
    else {
      let name: string | undefined;
      try { name = normalizeName(q.name); } catch { name = undefined; }
      if (name === undefined) reply.rcode = Rcode.REFUSED;
      else {
        const a = answer(this.#zone, name, q.type, q.class);
        Object.assign(reply, { rcode: a.rcode, aa: a.aa, answers: a.answers, authorities: a.authorities, additionals: a.additionals });
      }
    }
    let out: Buffer;
    try {
      out = encodeMessage(reply);
    } catch {
      this.stats.dropped.malformed++;
      return undefined;
    }
    if (out.length > sizeLimit(tcp, query.edns ? Math.max(512, query.edns.udpSize) : 0)) {
      Object.assign(reply, { tc: true, answers: [], authorities: [], additionals: [] });
      out = encodeMessage(reply);
      this.stats.truncated++;
    }
    this.stats.rcodes[reply.rcode & 0xf]!++;
    return out;
  }

  async stop(): Promise<void> {
    this.#mirror.off('synced', this.#onSnapshot);
    this.#mirror.off('change', this.#onSnapshot);
    for (const conn of this.#connections) conn.destroy();
    await Promise.all([
      ...this.#udp.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } })),
      ...this.#tcp.map((s) => new Promise<void>((r) => s.close(() => r()))),
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
