import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { decodeMessage, MalformedPacketError, type Message } from '../dns/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { QueryTimeoutError, TransportError } from './errors.ts';
import type { Nameserver } from './nameserver.ts';
import type { EncodedQuestion } from './question.ts';
import { RandomIds } from './random-id.ts';
import { emptyStats, observeLatency, type NameserverStats } from './stats.ts';
import { queryTcp } from './tcp.ts';
import { sameQuestion } from './validate.ts';

/** A validated reply to one query. */
export interface Reply {
  message: Message;
  /** Size of the reply message in bytes. */
  size: number;
  /** True when the reply came over TCP (asked for, or after TC over UDP). */
  tcp: boolean;
  elapsedMs: number;
}

export interface DnsClientOptions {
  /**
   * Queries sent from one UDP socket before a fresh one (and so a fresh
   * random source port) takes over. @default 10000
   */
  rotateAfter?: number;
}

interface Pending {
  id: number;
  q: EncodedQuestion;
  sock: SocketState;
  start: number;
  /** performance.now() by which a reply must come. */
  deadline: number;
  timeoutMs: number;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
}

/** One connected UDP socket to one nameserver, and the queries waiting on it. */
interface SocketState {
  ns: Nameserver;
  socket: Socket;
  stats: NameserverStats;
  pending: Map<number, Pending>;
  sent: number;
  retired: boolean;
  closed: boolean;
  /** The timeout sweeper, and the deadline it is armed for. */
  sweep: NodeJS.Timeout | undefined;
  sweepAt: number;
  /** Queries waiting for the connect to finish; undefined once connected. */
  queue: Buffer[] | undefined;
}

/**
 * The transport. Each nameserver gets a *connected* UDP socket, bound by the
 * OS to a random port and shared by every query to that server, told apart
 * by random IDs. Connecting makes the kernel drop datagrams from any other
 * source and report ICMP port-unreachable (a dead server fails at once
 * instead of timing out), and spares a per-send address lookup. A reply
 * counts only when its ID, question and source all match a pending query;
 * anything else is dropped and counted. A truncated reply is retried over
 * TCP. Sockets hold the process open only while queries are pending, and are
 * replaced every `rotateAfter` queries so the source port keeps changing.
 */
export class DnsClient {
  readonly #sockets = new Map<string, SocketState>();
  readonly #ids = new RandomIds();
  readonly #stats = new Map<string, NameserverStats>();
  readonly #rotateAfter: number;
  /** Cancels each TCP query in flight, so that close() leaves no socket behind. */
  readonly #tcpInFlight = new Set<() => void>();
  /** Replaced sockets that still wait for replies; closed when their last query settles. */
  readonly #retired = new Set<SocketState>();
  #closed = false;

  constructor(options: DnsClientOptions = {}) {
    const rotateAfter = options.rotateAfter ?? 10_000;
    if (!Number.isInteger(rotateAfter) || rotateAfter < 1) throw new InvalidArgumentError('Expected `rotateAfter` to be a positive integer.');
    this.#rotateAfter = rotateAfter;
  }

  /** Counters per nameserver key, live objects (read-only to callers). */
  get stats(): ReadonlyMap<string, Readonly<NameserverStats>> {
    return this.#stats;
  }

  statsFor(ns: Nameserver): NameserverStats {
    let s = this.#stats.get(ns.key);
    if (s === undefined) { s = emptyStats(); this.#stats.set(ns.key, s); }
    return s;
  }

  /** Sends `q` to `ns` and resolves with the first valid reply. */
  query(ns: Nameserver, q: EncodedQuestion, timeoutMs: number, tcp = false): Promise<Reply> {
    if (this.#closed) return Promise.reject(new TransportError(ns.key, 'the DNS client is closed'));
    if (tcp) {
      const stats = this.statsFor(ns);
      stats.queries++;
      return this.#viaTcp(ns, q, timeoutMs, performance.now(), stats);
    }
    const sock = this.#socket(ns);
    sock.stats.queries++;
    const pending = sock.pending;
    let id = this.#ids.next();
    while (pending.has(id)) id = this.#ids.next();
    const query = Buffer.allocUnsafe(q.wire.length);
    q.wire.copy(query);
    query[0] = id >>> 8;
    query[1] = id & 0xff;
    return new Promise<Reply>((resolve, reject) => {
      const start = performance.now();
      const p: Pending = { id, q, sock, start, deadline: start + timeoutMs, timeoutMs, resolve, reject };
      if (sock.sweep === undefined || p.deadline < sock.sweepAt) this.#arm(sock, p.deadline);
      if (pending.size === 0) sock.socket.ref();
      pending.set(id, p);
      sock.sent++;
      if (sock.queue === undefined) sock.socket.send(query);
      else sock.queue.push(query);
    });
  }

  #socket(ns: Nameserver): SocketState {
    let s = this.#sockets.get(ns.key);
    if (s !== undefined && s.sent < this.#rotateAfter) return s;
    if (s !== undefined) {
      s.retired = true;
      if (s.pending.size === 0) this.#closeSocket(s);
      else this.#retired.add(s);
    }
    const socket = createSocket(ns.family === 4 ? 'udp4' : 'udp6');
    const state: SocketState = { ns, socket, stats: this.statsFor(ns), pending: new Map(), sent: 0, retired: false, closed: false, sweep: undefined, sweepAt: 0, queue: [] };
    socket.on('message', (msg, rinfo) => this.#onMessage(state, msg, rinfo));
    socket.on('error', (err) => this.#onError(state, err));
    socket.connect(ns.port, ns.address, () => {
      const queue = state.queue ?? [];
      state.queue = undefined;
      for (const query of queue) socket.send(query);
    });
    socket.unref();
    this.#sockets.set(ns.key, state);
    return state;
  }

  #onMessage(sock: SocketState, msg: Buffer, rinfo: RemoteInfo): void {
    const p = msg.length >= 12 ? sock.pending.get((msg[0]! << 8) | msg[1]!) : undefined;
    if (p === undefined || rinfo.port !== sock.ns.port || rinfo.address !== sock.ns.address || !sameQuestion(msg, p.q)) {
      // Not ours, spoofed, late or garbage: ignore it and keep waiting for the real reply.
      sock.stats.rejected++;
      return;
    }
    if ((msg[2]! & 0x02) !== 0) { // TC: the whole answer did not fit; ask again over TCP
      this.#settle(p);
      sock.stats.queries++;
      const remaining = Math.max(1, p.timeoutMs - (performance.now() - p.start));
      this.#viaTcp(sock.ns, p.q, remaining, p.start, sock.stats).then(p.resolve, p.reject);
      return;
    }
    let message: Message;
    try {
      message = decodeMessage(msg);
    } catch (err) {
      if (!(err instanceof MalformedPacketError)) throw err;
      sock.stats.rejected++;
      return;
    }
    this.#settle(p);
    const elapsedMs = performance.now() - p.start;
    observeLatency(sock.stats, elapsedMs);
    p.resolve({ message, size: msg.length, tcp: false, elapsedMs });
  }

  /** ICMP unreachable (ECONNREFUSED) and the like: nothing will answer on this socket, fail its queries now. */
  #onError(sock: SocketState, err: Error): void {
    if (sock.queue !== undefined && this.#sockets.get(sock.ns.key) === sock) {
      // The connect itself failed: the next query starts over with a fresh socket.
      this.#sockets.delete(sock.ns.key);
      sock.retired = true;
      this.#retired.add(sock);
    }
    for (const p of [...sock.pending.values()]) {
      this.#settle(p);
      sock.stats.errors++;
      p.reject(new TransportError(sock.ns.key, (err as NodeJS.ErrnoException).code ?? err.message, { cause: err }));
    }
  }

  #settle(p: Pending): void {
    const sock = p.sock;
    sock.pending.delete(p.id);
    if (sock.pending.size === 0) {
      if (sock.retired) this.#closeSocket(sock);
      else sock.socket.unref();
    }
  }

  #closeSocket(sock: SocketState): void {
    this.#retired.delete(sock);
    if (sock.closed) return;
    sock.closed = true;
    clearTimeout(sock.sweep);
    sock.sweep = undefined;
    sock.socket.close();
  }

  /**
   * Timeouts: one timer per socket, armed for the earliest deadline, instead
   * of a timer per query. Replies do not disarm it; when it fires it fails
   * what is due and re-arms for the next deadline, if any query still waits.
   */
  #arm(sock: SocketState, at: number): void {
    clearTimeout(sock.sweep);
    sock.sweepAt = at;
    sock.sweep = setTimeout(this.#sweep, Math.max(0, at - performance.now()), sock);
    sock.sweep.unref(); // the socket itself holds the process while queries are pending
  }

  // A field, not a method: the timer calls it with the socket as its argument.
  readonly #sweep = (sock: SocketState): void => {
    sock.sweep = undefined;
    // Timers count whole milliseconds: anything due within the next one is due now.
    const now = performance.now() + 1;
    let next = Infinity;
    for (const p of [...sock.pending.values()]) {
      if (p.deadline <= now) {
        this.#settle(p);
        sock.stats.timeouts++;
        p.reject(new QueryTimeoutError(sock.ns.key, p.timeoutMs));
      } else if (p.deadline < next) {
        next = p.deadline;
      }
    }
    if (next !== Infinity && !sock.closed) this.#arm(sock, next);
  };

  async #viaTcp(ns: Nameserver, q: EncodedQuestion, timeoutMs: number, start: number, stats: NameserverStats): Promise<Reply> {
    stats.tcp++;
    const id = this.#ids.next();
    const query = Buffer.from(q.wire);
    query.writeUInt16BE(id, 0);
    let buf: Buffer;
    try {
      buf = await queryTcp(ns, q, query, timeoutMs, this.#tcpInFlight);
    } catch (err) {
      if (err instanceof QueryTimeoutError) stats.timeouts++;
      throw err;
    }
    const message = decodeMessage(buf);
    const elapsedMs = performance.now() - start;
    observeLatency(stats, elapsedMs);
    return { message, size: buf.length, tcp: true, elapsedMs };
  }

  /** Fails every pending query and closes the sockets. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sock of [...this.#sockets.values(), ...this.#retired]) {
      const idle = sock.pending.size === 0;
      sock.retired = true; // so that settling its last query closes it
      for (const p of [...sock.pending.values()]) {
        this.#settle(p);
        p.reject(new TransportError(sock.ns.key, 'the DNS client was closed'));
      }
      if (idle) this.#closeSocket(sock);
    }
    this.#sockets.clear();
    this.#retired.clear();
    for (const cancel of [...this.#tcpInFlight]) cancel();
  }
}
