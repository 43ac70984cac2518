import http from 'node:http';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../errors.ts';
import type { BackendEntry } from './backend-entry.ts';
import { BalancedAgent, backendSetOf } from './balanced-agent.ts';
import { BackendRequestError, NoBackendsError } from './errors.ts';
import type { BalancedAgentOptions } from './options.ts';

/** cueball's HttpAgent option names, where they mean something here. */
export interface CueballOptions {
  /** Idle connections kept for reuse (http.Agent `maxFreeSockets`). */
  spares?: number;
  /** Most connections open at once, over all backends (http.Agent `maxSockets`). */
  maximum?: number;
  /** cueball's retry spec: `default.timeout` → connect timeout, `default.retries` → attempts − 1. */
  recovery?: { default?: { timeout?: number; retries?: number } };
  /** Health-check path (as `ping`). */
  ping?: string;
  /** Between health checks (ms). */
  pingInterval?: number;
  /** Nameservers (`ip` or `ip:port`), as the resolver's `nameservers`. */
  resolvers?: readonly string[];
  /** The service domain, as `domain`: one agent serves one service, so exactly one. */
  initialDomains?: readonly string[];
}

export interface HttpAgentOptions extends BalancedAgentOptions, CueballOptions {
  /** Share backend state (health, ejections, load) with this BalancedAgent instead of making one. */
  agent?: BalancedAgent;
  /** Keep connections open between requests. @default true */
  keepAlive?: boolean;
  maxSockets?: number;
  maxFreeSockets?: number;
}

const socketEntry = new WeakMap<Duplex, BackendEntry>();

/**
 * A node `http.Agent` whose connections go to the backend the balanced
 * agent picks, so `http.request` and restify-clients get the same choice
 * and health. A backend that refuses the connection is skipped: the
 * request goes out on the next one and the caller never sees the refusal.
 */
export class HeraldHttpAgent extends http.Agent {
  readonly balanced: BalancedAgent;
  readonly #owns: boolean;
  readonly #maxAttempts: number;
  readonly #connectTimeout: number;
  readonly #claimTimeout: number;

  constructor(options: HttpAgentOptions) {
    const o = mapCueball(options);
    super({ keepAlive: o.keepAlive ?? true, ...(o.maxSockets !== undefined && { maxSockets: o.maxSockets }), ...(o.maxFreeSockets !== undefined && { maxFreeSockets: o.maxFreeSockets }) });
    this.#owns = o.agent === undefined;
    this.balanced = o.agent ?? new BalancedAgent(o);
    this.#maxAttempts = o.maxAttempts ?? 3;
    this.#connectTimeout = o.connectTimeout ?? 10_000;
    this.#claimTimeout = o.claimTimeout ?? 10_000;
    // node reuses idle sockets whatever backend they lead to: drop those to a
    // backend that is gone or ejected, so the next request is picked afresh.
    this.balanced.events.on('removed', this.#dropIdle);
    this.balanced.events.on('ejected', this.#dropIdle);
  }

  readonly #dropIdle = (key: string): void => {
    for (const sockets of Object.values(this.freeSockets)) {
      if (!sockets) continue;
      for (let i = sockets.length - 1; i >= 0; i--) {
        const socket = sockets[i]!;
        if (socketEntry.get(socket)?.key !== key) continue;
        // Out of the free list at once: 'close' comes a tick later, and a
        // request added meanwhile would be handed the dead socket.
        sockets.splice(i, 1);
        socket.destroy();
      }
    }
  };

  /** A socket back from a request is kept only while its backend takes requests. */
  override keepSocketAlive(socket: Socket): void {
    const entry = socketEntry.get(socket);
    // node's types say void; node's code pools the socket only on a truthy return.
    if (entry && (entry.draining || entry.ejectedUntil > Date.now() || !entry.healthy)) return false as unknown as void;
    return super.keepSocketAlive(socket);
  }

  override createConnection(_options: object, cb: (err: Error | null, socket?: Duplex) => void): Duplex | undefined {
    this.#connect([], cb, undefined);
    return undefined;
  }

  // Passive health from responses: http.Agent has no hook for them, so watch
  // each request as it is added.
  addRequest(req: http.ClientRequest, options: object): void {
    req.once('response', (res: http.IncomingMessage) => {
      const entry = req.socket ? socketEntry.get(req.socket) : undefined;
      if (!entry) return;
      if ((res.statusCode ?? 0) >= 500) backendSetOf(this.balanced).failure(entry, false);
      else backendSetOf(this.balanced).success(entry);
    });
    (http.Agent.prototype as unknown as { addRequest(r: http.ClientRequest, o: object): void }).addRequest.call(this, req, options);
  }

  override destroy(): void {
    this.balanced.events.off('removed', this.#dropIdle);
    this.balanced.events.off('ejected', this.#dropIdle);
    super.destroy();
    if (this.#owns) void this.balanced.close();
  }

  #connect(tried: BackendEntry[], cb: (err: Error | null, socket?: Duplex) => void, lastError: Error | undefined): void {
    const set = backendSetOf(this.balanced);
    const entry = tried.length === 0 ? set.pick() : tried.length < this.#maxAttempts ? set.pickExcluding(tried) : undefined;
    if (entry === undefined) {
      if (tried.length > 0) {
        const last = tried[tried.length - 1]!;
        cb(new BackendRequestError(`connect to ${last.key} failed after ${tried.length} attempt(s): ${lastError?.message}`, last.key, tried.length, lastError));
        return;
      }
      set.claim(this.#claimTimeout, (found) => {
        if (found) this.#connect(tried, cb, undefined);
        else cb(new NoBackendsError(`no backend became available within ${this.#claimTimeout} ms`));
      });
      return;
    }
    tried.push(entry);
    const socket = net.connect({ host: entry.backend.address, port: entry.backend.port });
    socket.setTimeout(this.#connectTimeout);
    const onError = (err: Error): void => {
      socket.removeListener('connect', onConnect);
      socket.removeListener('timeout', onTimeout);
      socket.destroy();
      set.failure(entry, true);
      entry.retries++;
      this.#connect(tried, cb, err);
    };
    const onTimeout = (): void => onError(Object.assign(new Error(`connect timed out after ${this.#connectTimeout} ms`), { code: 'ETIMEDOUT' }));
    const onConnect = (): void => {
      socket.removeListener('error', onError);
      socket.removeListener('timeout', onTimeout);
      socket.setTimeout(0);
      entry.outstanding++;
      entry.requests++;
      socketEntry.set(socket, entry);
      socket.once('close', () => entry.outstanding--);
      cb(null, socket);
    };
    socket.once('error', onError);
    socket.once('timeout', onTimeout);
    socket.once('connect', onConnect);
  }
}

function mapCueball(o: HttpAgentOptions): HttpAgentOptions {
  const out: HttpAgentOptions = { ...o };
  delete out.spares;
  delete out.maximum;
  delete out.recovery;
  delete out.resolvers;
  delete out.initialDomains;
  if (o.initialDomains !== undefined) {
    if (!Array.isArray(o.initialDomains) || o.initialDomains.length !== 1) {
      throw new InvalidArgumentError('Expected `initialDomains` to list exactly one domain: a Herald http.Agent serves one service (make one per service)');
    }
    out.domain ??= o.initialDomains[0]!;
  }
  if (o.resolvers !== undefined) out.nameservers ??= o.resolvers;
  if (o.spares !== undefined) out.maxFreeSockets ??= o.spares;
  if (o.maximum !== undefined) out.maxSockets ??= o.maximum;
  const r = o.recovery?.default;
  if (r?.timeout !== undefined) out.connectTimeout ??= r.timeout;
  if (r?.retries !== undefined) out.maxAttempts ??= r.retries + 1;
  return out;
}

/** A node http.Agent over the agent's backends (see HeraldHttpAgent). */
export function createHttpAgent(options: HttpAgentOptions): HeraldHttpAgent {
  return new HeraldHttpAgent(options);
}
