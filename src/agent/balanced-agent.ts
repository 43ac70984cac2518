import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Dispatcher } from 'undici';
import { InvalidArgumentError } from '../errors.ts';
import { type BackendSource, Resolver, StaticBackends } from '../resolver/index.ts';
import { BackendSet } from './backend-set.ts';
import { BalancedRequest, type RequestContext } from './balanced-request.ts';
import { AgentClosedError, AgentDestroyedError } from './errors.ts';
import { HealthCheck } from './health-check.ts';
import { originHost, withHost, type OriginHost } from './host-header.ts';
import { registerMetrics } from './metrics.ts';
import { resolveOptions, type BalancedAgentOptions, type ResolvedOptions } from './options.ts';
import { RetryBudget } from './retry-budget.ts';
import { backendStats, type AgentStats } from './stats.ts';

type Callback = (err: Error | null, data: null) => void;

let setOf: (agent: BalancedAgent) => BackendSet;

/**
 * The backend set behind `agent`, for the http.Agent facade (http-agent.ts)
 * that shares its picks and health. Not exported from the folder's index.ts.
 * @internal
 */
export function backendSetOf(agent: BalancedAgent): BackendSet {
  return setOf(agent);
}

/**
 * An undici Dispatcher that spreads requests over a service's backends (one
 * undici Pool each), ejects sick ones, and retries only where it is safe.
 *
 * ```ts
 * const agent = new BalancedAgent({ backends: ['10.0.0.1:80', '10.0.0.2:80'] });
 * const res = await request('http://moray.example/ping', { dispatcher: agent });
 * ```
 */
export class BalancedAgent extends Dispatcher {
  readonly #options: ResolvedOptions;
  readonly #set: BackendSet;
  readonly #ctx: RequestContext;
  readonly #health: HealthCheck | null;
  readonly #unregister: (() => void) | null;
  readonly #hosts = new Map<string, OriginHost>();
  #closed = false;
  #destroyed = false;

  static {
    setOf = (agent) => agent.#set;
  }

  constructor(options: BalancedAgentOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('Expected options to be an object');
    const given = [options.source, options.resolver, options.backends, options.domain].filter((x) => x !== undefined).length;
    if (given !== 1) throw new InvalidArgumentError('Expected exactly one of `source` (a BackendSource such as a Resolver), `backends` (ADDRESS:PORT list) or `domain` (with resolver options)');
    if (options.backends !== undefined && !Array.isArray(options.backends)) throw new InvalidArgumentError('Expected `backends` to be an array of ADDRESS:PORT strings');
    this.#options = resolveOptions(options);
    const o = this.#options;
    const source: BackendSource =
      options.source ?? options.resolver ?? (options.domain !== undefined ? new Resolver({ ...options, domain: options.domain }) : new StaticBackends(options.backends!));
    this.#set = new BackendSet(source, {
      ejection: o.ejection,
      pick: { latency: o.latency, decayMs: o.decayMs, slowStartMs: o.slowStartMs },
      pool: o.pool,
      ownsSource: options.source === undefined && options.resolver === undefined,
      probe: { path: o.ping, timeoutMs: o.pingTimeoutMs },
    });
    this.#ctx = {
      set: this.#set,
      budget: new RetryBudget(o.budgetRatio, o.budgetFloor, o.budgetWindowMs, performance.now()),
      maxAttempts: o.maxAttempts,
      claimTimeoutMs: o.claimTimeoutMs,
      totals: { ok: 0, failed: 0, retries: 0, noBackends: 0 },
      state: { closed: false, destroyed: false },
    };
    this.#set.start();
    this.#health = o.ping === null ? null : new HealthCheck(this.#set, o.ping, o.pingIntervalMs, o.pingTimeoutMs);
    this.#health?.start();
    this.#unregister = options.metrics ? registerMetrics(options.metrics, { name: o.name, stats: () => this.stats() }) : null;
  }

  /**
   * Backend events, each with the backend's key (`name:port@address`):
   * `added`, `removed`, `ejected`, `readmitted`, `healthy`, `unhealthy`.
   */
  get events(): EventEmitter {
    return this.#set;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (!handler || typeof handler !== 'object') throw new InvalidArgumentError('handler must be an object');
    if (this.#closed || this.#destroyed) {
      const err = this.#destroyed ? new AgentDestroyedError() : new AgentClosedError();
      if (typeof handler.onResponseError !== 'function') throw err;
      handler.onResponseError(null as unknown as Dispatcher.DispatchController, err);
      return false;
    }
    if (opts.origin != null && this.#options.preserveHost) {
      const o = originHost(opts.origin, this.#hosts);
      const headers = opts.headers == null ? (o.headers as string[]) : withHost(opts.headers, o.host);
      // undici derives servername from our Host as o.servername; a caller's own wins.
      // (undici's Request reads `servername`, though DispatchOptions does not type it.)
      opts = headers !== opts.headers && o.servername !== null && !(opts as { servername?: string }).servername
        ? ({ ...opts, headers, servername: o.servername } as Dispatcher.DispatchOptions)
        : { ...opts, headers };
    }
    new BalancedRequest(this.#ctx, opts, handler).start();
    return true;
  }

  stats(): AgentStats {
    const now = Date.now();
    const perfNow = performance.now();
    const b = this.#ctx.budget;
    const window = b.window(perfNow);
    return {
      backends: this.#set.entries().map((e) => backendStats(e, now, perfNow, this.#options.slowStartMs)),
      requests: { ...this.#ctx.totals },
      budget: { balance: Math.floor(b.balance()), requests: window.requests, retries: window.retries, exhausted: b.exhausted },
      panic: this.#set.panic,
    };
  }

  close(): Promise<void>;
  close(callback: Callback): void;
  close(callback?: Callback): Promise<void> | void {
    const p = this.#shutdown(false);
    if (!callback) return p;
    p.then(() => callback(null, null), (err: Error) => callback(err, null));
  }

  destroy(): Promise<void>;
  destroy(err: Error | null): Promise<void>;
  destroy(callback: Callback): void;
  destroy(err: Error | null, callback: Callback): void;
  destroy(a?: Error | null | Callback, b?: Callback): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    const err = typeof a === 'function' ? null : (a ?? null);
    const p = this.#shutdown(true, err ?? new AgentDestroyedError());
    if (!callback) return p;
    p.then(() => callback(null, null), (e: Error) => callback(e, null));
  }

  async #shutdown(destroy: boolean, err?: Error): Promise<void> {
    this.#closed = true;
    this.#ctx.state.closed = true;
    if (destroy) this.#ctx.state.destroyed = true;
    this.#health?.stop();
    this.#unregister?.();
    if (destroy) {
      this.#destroyed = true;
      await this.#set.destroy(err!);
    } else {
      await this.#set.close();
    }
  }
}
