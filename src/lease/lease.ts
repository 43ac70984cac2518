import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { SessionState, Store } from '../registry/index.ts';
import { LeaseLostError, type LeaseEndReason } from './errors.ts';
import { holderNotePath } from './path.ts';
import { renewInterval, trustedUntil } from './validity.ts';

/** What `acquireLease` hands to a new `Lease`. */
export interface LeaseGrant {
  name: string;
  instance: string;
  /** The lease's own ephemeral node. */
  path: string;
  token: number;
  store: Store;
  /** Close the store when the lease ends (it was opened for this lease). */
  ownsStore: boolean;
  /** `performance.now()` when the request that proved the lease held was sent. */
  confirmedAt: number;
  marginMs: number;
}

export interface LeaseEvents {
  /** A reply from ZooKeeper proved the lease held: it may be trusted `validMs` more from now. */
  confirmed: [validMs: number];
}

let start: (lease: Lease) => void;

/**
 * Arms a new lease's watchdog and renewal; `acquireLease` calls it once.
 * Not exported from the folder's index.ts.
 * @internal
 */
export function startLease(lease: Lease): void {
  start(lease);
}

/**
 * A held lease. Obtained from `acquireLease`, which starts it.
 *
 * `signal` aborts (reason: `LeaseLostError`) as soon as the lease may be
 * lost: on session expiry, when the node is gone, and when no reply has come
 * from ZooKeeper for the session timeout less the safety margin. Reading
 * `signal` or `held` also checks the clock, so a process that was frozen
 * (SIGSTOP, a paused VM) sees the loss on its first look after waking,
 * before any timer runs. Check it before each unit of work.
 */
export class Lease extends EventEmitter<LeaseEvents> {
  readonly name: string;
  readonly instance: string;
  /** The fencing token: strictly greater than every earlier holder's. Pass it to what the work writes to. */
  readonly token: number;
  /** The lease's ephemeral node. */
  readonly path: string;
  /** How long one confirmation is trusted: session timeout less the safety margin (Infinity on a memory store). */
  readonly windowMs: number;
  readonly #store: Store;
  readonly #ownsStore: boolean;
  readonly #marginMs: number;
  readonly #controller = new AbortController();
  #trustedUntil: number;
  #confirmedAt: number;
  readonly #heldSince = performance.now();
  #deadlineTimer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #ended: Promise<void> | undefined;
  #noted: Promise<unknown> = Promise.resolve();

  static {
    start = (lease) => lease.#start();
  }

  constructor(grant: LeaseGrant) {
    super();
    this.name = grant.name;
    this.instance = grant.instance;
    this.token = grant.token;
    this.path = grant.path;
    this.#store = grant.store;
    this.#ownsStore = grant.ownsStore;
    this.#marginMs = grant.marginMs;
    this.windowMs = grant.store.sessionTimeoutMs - grant.marginMs;
    this.#confirmedAt = grant.confirmedAt;
    this.#trustedUntil = trustedUntil(grant.confirmedAt, grant.store.sessionTimeoutMs, grant.marginMs);
  }

  /** Arms the watchdog; called once by `acquireLease` (through `startLease`). */
  #start(): void {
    this.#store.on('state', this.#onState);
    if (this.#store.state !== 'connected') this.#onState(this.#store.state);
    this.#armDeadline();
    this.#scheduleRenew();
    // For `herald lease status`: since when this holder holds. Best effort, off the critical path.
    const note = JSON.stringify({ instance: this.instance, heldSince: new Date().toISOString() });
    this.#noted = this.#store.putEphemeral(holderNotePath(this.name, this.token), note).catch(() => undefined);
  }

  /** Aborts as soon as the lease may be lost, and on `release()`. Reading it checks the clock first. */
  get signal(): AbortSignal {
    this.#checkClock();
    return this.#controller.signal;
  }

  /** True while the lease is held (checks the clock). */
  get held(): boolean {
    return !this.signal.aborted;
  }

  /** Milliseconds the lease can still be trusted without another reply from ZooKeeper; 0 once ended. */
  get remainingMs(): number {
    return this.held ? Math.max(0, this.#trustedUntil - performance.now()) : 0;
  }

  /** Milliseconds since the lease was last proved held (the send time of the last read ZooKeeper answered). */
  get confirmedAgoMs(): number {
    return performance.now() - this.#confirmedAt;
  }

  /** Milliseconds since this lease was granted. */
  get heldForMs(): number {
    return performance.now() - this.#heldSince;
  }

  /**
   * Throws the `LeaseLostError` (`HERALD_LEASE_LOST`, or
   * `HERALD_LEASE_RELEASED`) once the token may be stale; checks the clock.
   * Call it before each write that the token fences.
   */
  assertValid(): void {
    const signal = this.signal;
    if (signal.aborted) throw signal.reason as Error;
  }

  /**
   * Runs one unit of work under the lease: rejects with the `LeaseLostError`
   * before starting when the token is stale, gives `fn` the token and the
   * signal, and rejects after it when the lease was lost meanwhile, so a
   * result computed across a loss is never taken for a valid one.
   */
  async guard<T>(fn: (token: number, signal: AbortSignal) => Promise<T> | T): Promise<T> {
    this.assertValid();
    const result = await fn(this.token, this.#controller.signal);
    this.assertValid();
    return result;
  }

  /**
   * Gives the lease up: `signal` aborts (reason `released`), the node is
   * deleted so the next in the queue holds at once, and a store opened for
   * the lease is closed. Safe to call more than once, and after a loss.
   */
  release(): Promise<void> {
    this.#end('released');
    return this.#ended!;
  }

  #onState = (state: SessionState): void => {
    if (state === 'expired' || state === 'closed') this.#end(state);
  };

  #checkClock(): void {
    if (!this.#controller.signal.aborted && performance.now() >= this.#trustedUntil) this.#end('deadline');
  }

  #armDeadline(): void {
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    if (!Number.isFinite(this.#trustedUntil)) return;
    this.#deadlineTimer = setTimeout(() => this.#checkClock(), Math.max(0, this.#trustedUntil - performance.now()) + 1);
    this.#deadlineTimer.unref();
  }

  #scheduleRenew(): void {
    const every = renewInterval(this.#store.sessionTimeoutMs, this.#marginMs);
    if (!Number.isFinite(every) || this.#controller.signal.aborted) return;
    this.#renewTimer = setTimeout(() => void this.#renew(), every);
    this.#renewTimer.unref();
  }

  /** One round trip: proves the session alive at the send time and the node still ours. */
  async #renew(): Promise<void> {
    this.#checkClock();
    if (this.#controller.signal.aborted) return;
    const sentAt = performance.now();
    try {
      const node = await this.#store.get(this.path);
      if (this.#controller.signal.aborted) return;
      if (!node || !node.ownedByMe) { this.#end('gone'); return; }
      const until = trustedUntil(sentAt, this.#store.sessionTimeoutMs, this.#marginMs);
      if (until > this.#trustedUntil) {
        this.#confirmedAt = sentAt;
        this.#trustedUntil = until;
        this.#armDeadline();
        this.emit('confirmed', this.remainingMs);
      }
    } catch {
      // Disconnected or slow: the deadline decides; keep asking.
    }
    this.#scheduleRenew();
  }

  #end(reason: LeaseEndReason): void {
    if (this.#ended) return;
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#renewTimer);
    this.#store.off('state', this.#onState);
    // The work stops first; then the node goes, so the next holder starts after.
    this.#controller.abort(new LeaseLostError(this.name, reason));
    this.#ended = this.#cleanUp(reason);
  }

  async #cleanUp(reason: LeaseEndReason): Promise<void> {
    // After 'released' or 'deadline' the session may still be alive: delete
    // the node so the queue moves on (for us the loss is final). While
    // disconnected, wait: the session comes back (delete then) or expires
    // (the node goes with it). After an expiry or a close it is gone already.
    // A store opened for this lease is simply closed: that ends the session
    // and its node at once (or at the timeout, if the server is away).
    if (this.#ownsStore) { await this.#store.close().catch(() => undefined); return; }
    if (reason === 'released' || reason === 'deadline') await deleteWhenPossible(this.#store, this.path);
    // The status note, once written (a write still in flight would leave it behind).
    await this.#noted;
    if (this.#store.state === 'connected') await this.#store.delete(holderNotePath(this.name, this.token)).catch(() => undefined);
  }
}

async function deleteWhenPossible(store: Store, path: string): Promise<void> {
  for (;;) {
    const state = store.state;
    if (state === 'expired' || state === 'closed') return;
    if (state === 'connected') {
      try { await store.delete(path); return; } catch { if (store.state === 'connected') return; }
      continue;
    }
    await new Promise<void>((resolve) => store.once('state', () => resolve()));
  }
}
