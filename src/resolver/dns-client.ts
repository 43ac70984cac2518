import { Buffer } from 'node:buffer';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { decodeMessage, type Message } from '../dns/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { QueryTimeoutError, TransportError, UntrustedReplyError } from './errors.ts';
import type { Nameserver } from './nameserver.ts';
import { SPARE_QUERIES, type EncodedQuestion } from './question.ts';
import { RandomIds } from './random-id.ts';
import { emptyStats, observeReply, type NameserverStats } from './nameserver-stats.ts';
import { FreshPortCheck } from './fresh-port-check.ts';
import { PendingQueries } from './pending-queries.ts';
import { ReplyImages } from './reply-images.ts';
import { queryTcp } from './tcp.ts';
import { sameQuestion, untrustedReason } from './validate.ts';

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
   * random source port) takes its place. @default 64
   */
  rotateAfter?: number;
  /**
   * UDP sockets per nameserver, each query sent from one of them at random:
   * concurrent queries leave from different ports. @default 4
   */
  sockets?: number;
}

/** Receive buffer asked for each UDP socket: room for a burst of ~1000 junk replies ahead of the real one. */
const RECV_BUFFER_BYTES = 1 << 20;

/**
 * Nameserver addresses are IP literals: handing them back as they are makes
 * a socket's bind and connect synchronous (Node's default goes through
 * `dns.lookup` and a tick for each), so its new port can be read at once.
 */
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

/** Whether a reconnected socket gets a fresh port here (Linux: yes), for every client of the process. */
const freshPorts = new FreshPortCheck();

interface Pending {
  id: number;
  q: EncodedQuestion;
  sock: SocketState;
  start: number;
  /** performance.now() by which a reply must come. */
  deadline: number;
  timeoutMs: number;
  /** The datagram sent: once a reply to it came, the kernel has sent it and it can carry another query. */
  query: Buffer;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
}

/** One connected UDP socket to one nameserver, and the queries waiting on it. */
interface SocketState {
  ns: Nameserver;
  socket: Socket;
  stats: NameserverStats;
  pending: PendingQueries<Pending>;
  /** Its place in the nameserver's pool. */
  slot: number;
  sent: number;
  /** Its local port as last read (0: not read yet): a reconnect compares the new one with it. */
  port: number;
  /** The deadline of the last query sent from it: idle past this, it closes. */
  lastDeadline: number;
  retired: boolean;
  closed: boolean;
  /** Queries waiting for the connect to finish; undefined once connected. */
  queue: Buffer[] | undefined;
}

/**
 * The transport. Each nameserver gets a small pool of *connected* UDP
 * sockets, each bound by the OS to a random port; every query leaves from
 * one of them chosen at random, with a random ID, and a socket is replaced
 * by a fresh one (a fresh port) after `rotateAfter` queries, so that
 * neither the port nor the ID of a query can be guessed. Connecting makes
 * the kernel drop datagrams from any other source and report ICMP
 * port-unreachable (a dead server fails at once instead of timing out), and
 * a connect that fails (no route) fails the queries waiting on it. A reply
 * counts only when its ID, question, source and owner names all match a
 * pending query; anything else is dropped and counted, and the query keeps
 * waiting until its timeout. A truncated reply is retried over TCP. Sockets
 * hold the process open only while queries are pending.
 */
export class DnsClient {
  readonly #pools = new Map<string, (SocketState | undefined)[]>();
  readonly #ids = new RandomIds();
  readonly #stats = new Map<string, NameserverStats>();
  /** Recent replies of every nameserver, byte for byte: an identical one is not decoded again. */
  readonly #images = new ReplyImages();
  readonly #rotateAfter: number;
  readonly #poolSize: number;
  /** Cancels each TCP query in flight, so that close() leaves no socket behind. */
  readonly #tcpInFlight = new Set<() => void>();
  /** Replaced sockets that still wait for replies; closed when their last query settles. */
  readonly #retired = new Set<SocketState>();
  /** The timeout sweeper of every socket, and the time it is armed for. */
  #sweep: NodeJS.Timeout | undefined;
  #sweepAt = Infinity;
  #closed = false;

  constructor(options: DnsClientOptions = {}) {
    const rotateAfter = options.rotateAfter ?? 64;
    if (!Number.isInteger(rotateAfter) || rotateAfter < 1) throw new InvalidArgumentError('Expected `rotateAfter` to be a positive integer.');
    const sockets = options.sockets ?? 4;
    if (!Number.isInteger(sockets) || sockets < 1 || sockets > 64) throw new InvalidArgumentError('Expected `sockets` to be an integer from 1 to 64.');
    this.#rotateAfter = rotateAfter;
    this.#poolSize = sockets;
  }

  /** UDP sockets open now, in the pools and retired ones still waiting for replies. */
  get openSockets(): number {
    let n = this.#retired.size;
    for (const pool of this.#pools.values()) for (const sock of pool) if (sock !== undefined) n++;
    return n;
  }

  /** Counters per nameserver key, live objects (read-only to callers). */
  get stats(): ReadonlyMap<string, Readonly<NameserverStats>> {
    return this.#stats;
  }

  #statsFor(ns: Nameserver): NameserverStats {
    let s = this.#stats.get(ns.key);
    if (s === undefined) { s = emptyStats(); this.#stats.set(ns.key, s); }
    return s;
  }

  /** Sends `q` to `ns` and resolves with the first valid reply. */
  query(ns: Nameserver, q: EncodedQuestion, timeoutMs: number, tcp = false): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => this.ask(ns, q, timeoutMs, tcp, resolve, reject));
  }

  /**
   * `query` with callbacks: exactly one of them is called, once (`reject`
   * possibly before `ask` returns, when the socket cannot send at all). For
   * `lookup`, whose common case then costs one promise, not a promise and a
   * `then` on it.
   * @internal
   */
  ask(ns: Nameserver, q: EncodedQuestion, timeoutMs: number, tcp: boolean, resolve: (reply: Reply) => void, reject: (err: Error) => void): void {
    if (this.#closed) { queueMicrotask(() => reject(new TransportError(ns.key, 'the DNS client is closed'))); return; }
    if (tcp) {
      const stats = this.#statsFor(ns);
      stats.queries++;
      this.#viaTcp(ns, q, timeoutMs, performance.now(), stats).then(resolve, reject);
      return;
    }
    const sock = this.#socket(ns);
    sock.stats.queries++;
    const pending = sock.pending;
    let id = this.#ids.next();
    while (pending.has(id)) id = this.#ids.next();
    // A copy of the question that an earlier query went out in and got its reply, else a new one.
    const query = q.spares.pop() ?? Buffer.from(q.wire);
    query[0] = id >>> 8;
    query[1] = id & 0xff;
    const start = performance.now();
    const p: Pending = { id, q, sock, start, deadline: start + timeoutMs, timeoutMs, query, resolve, reject };
    sock.lastDeadline = p.deadline;
    if (p.deadline < this.#sweepAt) this.#arm(p.deadline);
    if (pending.size === 0) sock.socket.ref();
    pending.add(p);
    sock.sent++;
    if (sock.queue === undefined) this.#send(sock, query);
    else sock.queue.push(query);
  }

  #send(sock: SocketState, query: Buffer): void {
    try {
      sock.socket.send(query);
    } catch (err) {
      // A socket that can no longer send (closed under us): fail its queries, never throw out of here.
      this.#onError(sock, err as Error);
    }
  }

  /** A socket of the nameserver's pool, at random; a fresh one where the slot is empty or used up. */
  #socket(ns: Nameserver): SocketState {
    let pool = this.#pools.get(ns.key);
    if (pool === undefined) { pool = new Array(this.#poolSize).fill(undefined); this.#pools.set(ns.key, pool); }
    const slot = this.#poolSize === 1 ? 0 : this.#ids.next() % this.#poolSize;
    const s = pool[slot];
    if (s !== undefined && s.sent < this.#rotateAfter) return s;
    if (s !== undefined) {
      if (s.pending.size === 0 && this.#reconnect(s)) return s;
      this.#retire(s);
    }
    const socket = createSocket({ type: ns.family === 4 ? 'udp4' : 'udp6', recvBufferSize: RECV_BUFFER_BYTES, lookup: literalLookup });
    const state: SocketState = { ns, socket, stats: this.#statsFor(ns), pending: new PendingQueries<Pending>(), slot, sent: 0, port: 0, lastDeadline: 0, retired: false, closed: false, queue: [] };
    socket.on('message', (msg, rinfo) => this.#onMessage(state, msg, rinfo));
    // A connect that fails (no route, no such address) comes as an 'error': nothing can be sent from this socket.
    socket.on('error', (err) => this.#onError(state, err));
    socket.on('connect', () => this.#onConnect(state));
    this.#connect(state);
    socket.unref();
    pool[slot] = state;
    return state;
  }

  /**
   * Connects (bind, connect: synchronous with `literalLookup`); queries wait
   * in `queue` until the 'connect' event. The socket's one 'connect'
   * listener serves every connect of its life: a callback per connect is a
   * `once` wrapper added and removed each time, a cost paid at every fresh
   * port in place.
   */
  #connect(state: SocketState): void {
    state.queue = [];
    state.socket.connect(state.ns.port, state.ns.address);
  }

  #onConnect(state: SocketState): void {
    const queue = state.queue ?? [];
    state.queue = undefined;
    if (!state.closed) for (const query of queue) this.#send(state, query);
  }

  /**
   * A used-up socket with nothing pending takes a fresh port in place: on
   * Linux, disconnecting a socket that the OS bound to a port of its choice
   * releases that port, and connecting again binds a new random one — the
   * same port choice as a new socket's, without a new socket's setup (its
   * handle, receive buffer, epoll registration) and teardown. False where
   * the port stays the same (this time by chance, or always: other kernels
   * keep it, see `FreshPortCheck`): the caller then opens a new socket.
   */
  #reconnect(s: SocketState): boolean {
    if (!freshPorts.trusted || s.queue !== undefined || s.closed) return false;
    let before = s.port;
    let after = 0;
    try {
      if (before === 0) before = s.socket.address().port;
      s.socket.disconnect();
      this.#connect(s);
      after = s.socket.address().port;
    } catch {
      // Any surprise (a socket closed under us): the caller retires this socket and opens a new one.
    }
    if (!freshPorts.observe(before, after)) return false;
    s.port = after;
    s.sent = 0;
    return true;
  }

  /** Takes a socket out of its pool; it closes once its last query settles. */
  #retire(sock: SocketState): void {
    const pool = this.#pools.get(sock.ns.key);
    if (pool?.[sock.slot] === sock) pool[sock.slot] = undefined;
    sock.retired = true;
    if (sock.pending.size === 0) this.#closeSocket(sock);
    else this.#retired.add(sock);
  }

  #onMessage(sock: SocketState, msg: Buffer, rinfo: RemoteInfo): void {
    const p = msg.length >= 12 ? sock.pending.get((msg[0]! << 8) | msg[1]!) : undefined;
    if (p === undefined || rinfo.port !== sock.ns.port || rinfo.address !== sock.ns.address) {
      // Not ours, spoofed, late or garbage: ignore it and keep waiting for the real reply.
      sock.stats.rejected++;
      return;
    }
    // The same bytes as a reply to this question decoded and checked before (its question echoed, no TC, its
    // owner names): its records, not decoded or checked again. What the query decides (ID, source) is checked above.
    let message = this.#images.find(sock.ns.key, p.q, msg);
    if (message === undefined) {
      if (!sameQuestion(msg, p.q)) { sock.stats.rejected++; return; }
      if ((msg[2]! & 0x02) !== 0) { // TC: the whole answer did not fit; ask again over TCP
        this.#settle(p);
        sock.stats.queries++;
        const remaining = Math.max(1, p.timeoutMs - (performance.now() - p.start));
        this.#viaTcp(sock.ns, p.q, remaining, p.start, sock.stats).then(p.resolve, p.reject);
        return;
      }
      try {
        message = decodeMessage(msg);
      } catch {
        // Malformed (or a decoder bug): either way not a reply to trust, and never a throw out of a socket event.
        sock.stats.rejected++;
        return;
      }
      if (untrustedReason(message, p.q) !== undefined) {
        // Records for names we did not ask about: a forgery or a broken server. Keep waiting for the real reply.
        sock.stats.rejected++;
        return;
      }
      this.#images.remember(sock.ns.key, p.q, msg, message);
    }
    this.#settle(p);
    // Its reply came, so its datagram was sent: the buffer can carry the next query for this question (a query
    // that timed out or failed keeps its own, since a send of it could still be queued).
    if (p.q.spares.length < SPARE_QUERIES) p.q.spares.push(p.query);
    const elapsedMs = performance.now() - p.start;
    observeReply(sock.stats, elapsedMs, message.rcode);
    p.resolve({ message, size: msg.length, tcp: false, elapsedMs });
  }

  /**
   * ICMP unreachable (ECONNREFUSED), a connect or send that failed
   * (ENETUNREACH): nothing will answer on this socket, so its queries fail
   * now, each as a `TransportError` of that nameserver. A socket whose
   * connect failed is replaced by the next query.
   */
  #onError(sock: SocketState, err: Error): void {
    if (sock.queue !== undefined) this.#retire(sock);
    const errno = (err as NodeJS.ErrnoException).code;
    const reason = errno !== undefined ? `${(err as NodeJS.ErrnoException).syscall ?? 'socket'} ${errno}` : err.message;
    for (const p of sock.pending.snapshot()) {
      this.#settle(p);
      sock.stats.errors++;
      p.reject(new TransportError(sock.ns.key, reason, { cause: err }));
    }
  }

  #settle(p: Pending): void {
    const sock = p.sock;
    sock.pending.delete(p);
    if (sock.pending.size === 0) {
      if (sock.retired) this.#closeSocket(sock);
      else sock.socket.unref();
    }
  }

  #closeSocket(sock: SocketState): void {
    this.#retired.delete(sock);
    if (sock.closed) return;
    sock.closed = true;
    sock.socket.close();
  }

  /**
   * Timeouts: one timer for the whole client, armed for the earliest
   * deadline, instead of a timer per query or per socket. Replies do not
   * disarm it; when it fires it fails what is due, closes the sockets idle
   * for a query timeout, and re-arms for the next deadline, if any.
   */
  #arm(at: number): void {
    clearTimeout(this.#sweep);
    this.#sweepAt = at;
    this.#sweep = setTimeout(this.#sweepAll, Math.max(0, at - performance.now()));
    this.#sweep.unref(); // the sockets hold the process while queries are pending
  }

  // A field, not a method: the timer calls it unbound.
  readonly #sweepAll = (): void => {
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
    // Timers count whole milliseconds: anything due within the next one is due now.
    const now = performance.now() + 1;
    let next = Infinity;
    for (const pool of this.#pools.values()) for (const sock of pool) if (sock !== undefined) next = Math.min(next, this.#sweepSocket(sock, now));
    for (const sock of [...this.#retired]) next = Math.min(next, this.#sweepSocket(sock, now));
    if (next !== Infinity && !this.#closed) this.#arm(next);
  };

  /** Fails the socket's queries that are due; the next deadline it has, if any. */
  #sweepSocket(sock: SocketState, now: number): number {
    let next = Infinity;
    for (const p of sock.pending.snapshot()) {
      if (p.deadline <= now) {
        this.#settle(p);
        sock.stats.timeouts++;
        p.reject(new QueryTimeoutError(sock.ns.key, p.timeoutMs));
      } else if (p.deadline < next) {
        next = p.deadline;
      }
    }
    if (next !== Infinity || sock.closed) return next;
    // Nothing waits and the last query is a timeout old: close the socket (the next query gets a fresh
    // port), so that a process with many resolvers holds sockets only for the servers it is asking now.
    if (sock.lastDeadline <= now) { if (!sock.retired) this.#retire(sock); return Infinity; }
    return sock.lastDeadline;
  }

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
    let message: Message;
    try {
      message = decodeMessage(buf);
    } catch (err) {
      stats.rejected++;
      throw new UntrustedReplyError(ns.key, `malformed reply over TCP (${(err as Error).message})`, { cause: err });
    }
    // TC over TCP: the answer did not fit even here, so what came is not the whole record set.
    const why = message.tc ? 'truncated over TCP (the answer does not fit in a TCP reply)' : untrustedReason(message, q);
    if (why !== undefined) {
      stats.rejected++;
      throw new UntrustedReplyError(ns.key, why);
    }
    const elapsedMs = performance.now() - start;
    observeReply(stats, elapsedMs, message.rcode);
    return { message, size: buf.length, tcp: true, elapsedMs };
  }

  /** Fails every pending query and closes the sockets. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const live = [...this.#pools.values()].flat().filter((x) => x !== undefined);
    for (const sock of [...live, ...this.#retired]) {
      const idle = sock.pending.size === 0;
      sock.retired = true; // so that settling its last query closes it
      for (const p of sock.pending.snapshot()) {
        this.#settle(p);
        p.reject(new TransportError(sock.ns.key, 'the DNS client was closed'));
      }
      if (idle) this.#closeSocket(sock);
    }
    this.#pools.clear();
    this.#retired.clear();
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
    for (const cancel of [...this.#tcpInFlight]) cancel();
  }
}
