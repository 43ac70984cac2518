import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import type { Store } from '../registry/index.ts';

/** One znode the sidecar writes: the instance's host node, an alias, or the service node. */
export interface OwnedNode {
  path: string;
  data: string;
}

export interface RegistrationNodes {
  /** Ephemeral: the host node first, then the aliases. */
  ephemeral: OwnedNode[];
  /** Persistent service node, written before the host nodes; never deleted. */
  service?: OwnedNode;
}

export interface RegistrationEvents {
  /** Every owned node exists, written by this session. `at` is `Date.now()`. */
  registered: [at: number];
  /** Every owned node is gone. */
  unregistered: [at: number];
  /** A leftover ephemeral of this instance's previous session (a restart, a crash) was deleted or replaced. */
  leftover: [path: string];
  /** A pass completed (whether or not anything changed). */
  passed: [];
  /** An attempt failed; it is retried with backoff. (Not `error`: nothing here is fatal.) */
  failed: [err: Error];
}

export interface RegistrationOptions {
  /** Re-checks that the nodes are as wanted (registrar's heartbeat). @default 30000 */
  heartbeatMs?: number;
  /** @default 100 */
  minBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
}

/**
 * Keeps the registry matching one intent: registered or not. The intent is
 * held here, not in ZooKeeper, so outages and session expiry never lose it:
 * every (re)connect and every heartbeat reconciles once more. One pass runs
 * at a time, so there are never two overlapping registrations (registrar's
 * NODE_EXISTS race), and a pass checks the intent before every write, so a
 * node that is down on purpose is never brought back.
 */
export class Registration extends EventEmitter<RegistrationEvents> {
  readonly #store: Store;
  readonly #nodes: RegistrationNodes;
  readonly #heartbeatMs: number;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  #want = false;
  /** What the last successful pass achieved; undefined until one has run, false after an expiry. */
  #actual: boolean | undefined;
  #dirty = false;
  #kick: AbortController = new AbortController();
  #closed = new AbortController();
  #loop: Promise<void> | undefined;
  #attempt: Promise<void> | undefined;

  constructor(store: Store, nodes: RegistrationNodes, options: RegistrationOptions = {}) {
    super();
    this.#store = store;
    this.#nodes = nodes;
    this.#heartbeatMs = options.heartbeatMs ?? 30_000;
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5_000;
    store.on('expired', this.#onExpired);
    store.on('connected', this.#onConnected);
  }

  get wanted(): boolean {
    return this.#want;
  }

  /** True when the last pass left every node as wanted. */
  get settled(): boolean {
    return !this.#dirty && this.#actual === this.#want;
  }

  get registered(): boolean {
    return this.#actual === true;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Sets the intent without waiting for the registry to follow. */
  want(registered: boolean): void {
    if (registered === this.#want && this.settled) return;
    this.#want = registered;
    this.#wake();
  }

  /** Sets the intent; resolves once the registry matches it (or the registration is closed). */
  async set(registered: boolean): Promise<void> {
    this.#want = registered;
    this.#wake();
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (!this.settled && !this.#closed.signal.aborted) return;
        this.off('passed', check);
        this.#closed.signal.removeEventListener('abort', check);
        resolve();
      };
      this.on('passed', check);
      this.#closed.signal.addEventListener('abort', check);
    });
  }

  /** Stops reconciling (the nodes stay as they are; closing the store removes the ephemerals). */
  async close(): Promise<void> {
    this.#closed.abort();
    this.#kick.abort();
    this.#store.off('expired', this.#onExpired);
    this.#store.off('connected', this.#onConnected);
    await this.#loop;
  }

  #onExpired = (): void => {
    // The session took our ephemerals with it.
    const was = this.#actual;
    this.#actual = false;
    if (was) this.emit('unregistered', Date.now());
    this.#wake();
  };

  #onConnected = (): void => this.#wake();

  #wake(): void {
    this.#dirty = true;
    this.#kick.abort();
  }

  async #run(): Promise<void> {
    const closed = this.#closed.signal;
    this.#dirty = true;
    while (!closed.aborted) {
      if (!this.#dirty) {
        // Idle until kicked, or until the heartbeat re-checks the nodes.
        this.#kick = new AbortController();
        await sleep(this.#heartbeatMs, undefined, { signal: this.#kick.signal }).catch(() => undefined);
        if (closed.aborted) break;
        this.#dirty = true;
      }
      this.#dirty = false;
      this.#kick = new AbortController();
      const signal = AbortSignal.any([this.#kick.signal, closed]);
      try {
        await pRetry(() => (this.#attempt = this.#pass()), {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: this.#minBackoffMs,
          maxTimeout: this.#maxBackoffMs,
          factor: 2,
          randomize: true,
          signal,
          onFailedAttempt: ({ error }) => { this.emit('failed', error); },
        });
      } catch {
        // Kicked (new intent, reconnect) or closed during a backoff: never
        // start the next pass while this one's writes are still running.
        await this.#attempt?.catch(() => undefined);
        this.#dirty = true;
        // Anything else (a listener threw): back off rather than spin.
        if (!signal.aborted) await sleep(this.#maxBackoffMs, undefined, { signal: closed }).catch(() => undefined);
      }
    }
  }

  /** One reconciliation pass: every write is preceded by a look at the current intent. */
  async #pass(): Promise<void> {
    const want = this.#want;
    if (want) {
      const service = this.#nodes.service;
      if (service && (await this.#store.get(service.path))?.data !== service.data) {
        await this.#store.putPersistent(service.path, service.data);
      }
      for (const node of this.#nodes.ephemeral) {
        if (!this.#want) return this.#wake();
        await this.#putOwned(node);
      }
    } else {
      // All at once: the instance should leave every name in the same moment.
      await Promise.all(this.#nodes.ephemeral.map((node) => this.#deleteOwned(node)));
    }
    if (this.#want !== want) return this.#wake();
    const changed = this.#actual !== want;
    this.#actual = want;
    if (changed) this.emit(want ? 'registered' : 'unregistered', Date.now());
    this.emit('passed');
  }

  async #putOwned(node: OwnedNode): Promise<void> {
    const current = await this.#store.get(node.path);
    if (current?.ownedByMe && current.data === node.data) return;
    if (current && current.ephemeral && !current.ownedByMe && current.data === node.data) {
      // The same record from a session of ours that has not expired yet (a
      // restart, a crash): replace it, so that it is ours and dies with us.
      await this.#store.delete(node.path);
      this.emit('leftover', node.path);
    }
    await this.#store.putEphemeral(node.path, node.data);
  }

  async #deleteOwned(node: OwnedNode): Promise<void> {
    const current = await this.#store.get(node.path);
    if (!current || !current.ephemeral) return;
    // Ours, or the same record left by our previous session; never another instance's.
    if (!current.ownedByMe && current.data !== node.data) return;
    await this.#store.delete(node.path);
    if (!current.ownedByMe) this.emit('leftover', node.path);
  }
}
