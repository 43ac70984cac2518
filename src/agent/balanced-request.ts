import type { Duplex } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { BackendEntry } from './backend-entry.ts';
import type { BackendSet } from './backend-set.ts';
import { AgentClosedError, AgentDestroyedError, BackendRequestError, NoBackendsError } from './errors.ts';
import type { RetryBudget } from './retry-budget.ts';
import { isReplayable, mayRetryError, mayRetryStatus } from './retry-policy.ts';

type RawHeaders = NonNullable<Dispatcher.DispatchController['rawHeaders']> | null;

/** What a request needs from its agent. */
export interface RequestContext {
  readonly set: BackendSet;
  readonly budget: RetryBudget;
  readonly maxAttempts: number;
  readonly claimTimeoutMs: number;
  /** Counts requests that ended, by outcome (for stats and metrics). */
  readonly totals: { ok: number; failed: number; retries: number; noBackends: number };
  /** Set when the agent closes (no new attempts) or is destroyed (no retries). */
  readonly state: { closed: boolean; destroyed: boolean };
}

// Errors about the request itself: the same on every backend, never retried
// and never held against a backend.
const CALLER_ERRORS = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_ABORTED']);

/**
 * One request through the agent: the handler undici calls for each attempt,
 * and the controller the caller's handler sees for the whole request. It
 * decides after each failed attempt whether another backend may take it.
 *
 * Invariant: nothing reaches the caller's handler from an attempt that is
 * then retried; once a response (status ≥ 200) has been passed on, the
 * request is never repeated.
 */
export class BalancedRequest implements Dispatcher.DispatchHandler, Dispatcher.DispatchController {
  readonly #ctx: RequestContext;
  readonly #opts: Dispatcher.DispatchOptions;
  readonly #handler: Dispatcher.DispatchHandler;
  #entry: BackendEntry | null = null;
  #tried: BackendEntry[] | null = null;
  #attempts = 0;
  #startedAt = 0;
  #inAttempt = false;
  /** Inside the pool's dispatch call of the current attempt. */
  #dispatching = false;
  #controller: Dispatcher.DispatchController | null = null;
  /** The current attempt may have written bytes (undici called onRequestStart). */
  #written = false;
  /** A response has been passed to the caller: no more retries. */
  #forwarded = false;
  /** Discarding a 5xx response, to retry once it ends. */
  #discarding = false;
  #paused = false;
  #aborted = false;
  #reason: Error | null = null;
  #done = false;
  #cancelClaim: (() => void) | null = null;

  constructor(ctx: RequestContext, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#handler = handler;
  }

  start(): void {
    // The caller gets its controller at once, so an abort also reaches a
    // request that is still waiting for a backend.
    try {
      this.#handler.onRequestStart?.(this, null);
    } catch (err) {
      this.#done = true;
      throw err;
    }
    // An already-aborted caller may abort from inside onRequestStart.
    if (this.#aborted) this.#fail(this.#reason!);
    else this.#attempt();
  }

  // ---- controller, as seen by the caller's handler ----

  get aborted(): boolean {
    return this.#aborted;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }
  get rawHeaders(): RawHeaders {
    return this.#controller?.rawHeaders ?? null;
  }
  set rawHeaders(value: RawHeaders) {
    if (this.#controller) this.#controller.rawHeaders = value;
  }
  get rawTrailers(): RawHeaders {
    return this.#controller?.rawTrailers ?? null;
  }
  set rawTrailers(value: RawHeaders) {
    if (this.#controller) this.#controller.rawTrailers = value;
  }

  pause(): void {
    this.#paused = true;
    this.#controller?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#controller?.resume();
  }

  abort(reason: Error): void {
    if (this.#aborted || this.#done) return;
    this.#aborted = true;
    this.#reason = reason;
    if (this.#cancelClaim) {
      this.#cancelClaim();
      this.#cancelClaim = null;
      this.#fail(reason);
    } else {
      // Before undici started the attempt this is a no-op, and
      // onRequestStart aborts it instead (as undici's own handlers do).
      this.#controller?.abort(reason);
    }
  }

  // ---- handler, as called by the backend's pool for each attempt ----

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#written = true;
    // Latency counts from here: connect time and queueing in the pool show
    // up as outstanding requests, not as a slow backend. Called from within
    // the pool's dispatch (a free connection wrote it at once: the common
    // case), the attempt's own stamp is this moment, less the pool's few
    // microseconds of synchronous work: no second clock read.
    if (!this.#dispatching) this.#startedAt = performance.now();
    if (this.#aborted) controller.abort(this.#reason!);
    else if (this.#paused) controller.pause();
  }

  onResponseStarted(): void {
    this.#handler.onResponseStarted?.();
  }

  onRequestUpgrade(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#endAttempt();
    this.#ctx.set.success(this.#entry!);
    this.#forwarded = true;
    this.#finish(true);
    this.#handler.onRequestUpgrade?.(this, statusCode, headers, socket);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    if (statusCode < 200) {
      if (!this.#discarding) this.#handler.onResponseStart?.(this, statusCode, headers, statusMessage);
      return;
    }
    const entry = this.#entry!;
    const set = this.#ctx.set;
    set.observeLatency(entry, this.#startedAt);
    if (statusCode >= 500) {
      set.failure(entry, false);
      if (!this.#forwarded && !this.#aborted && mayRetryStatus(this.#outcome(), statusCode) && this.#mayRetry()) {
        this.#discarding = true;
        return;
      }
    } else {
      set.success(entry);
    }
    this.#forwarded = true;
    this.#handler.onResponseStart?.(this, statusCode, headers, statusMessage);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#discarding) this.#handler.onResponseData?.(this, chunk);
  }

  onResponseEnd(_c: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.#endAttempt();
    if (this.#discarding) {
      this.#discarding = false;
      this.#retry();
      return;
    }
    this.#finish(true);
    this.#handler.onResponseEnd?.(this, trailers);
  }

  onResponseError(_c: Dispatcher.DispatchController | null, err: Error): void {
    const entry = this.#entry;
    this.#endAttempt();
    const code = (err as { code?: unknown }).code;
    if (this.#aborted || this.#forwarded || entry === null || this.#ctx.state.destroyed || (typeof code === 'string' && CALLER_ERRORS.has(code)) || this.#isBodyError(err)) {
      this.#fail(err);
      return;
    }
    const set = this.#ctx.set;
    set.observeLatency(entry, this.#startedAt);
    set.failure(entry, true);
    // A 5xx being discarded was already judged retryable (its retry withdrawn).
    if (this.#discarding || (mayRetryError(this.#outcome()) && this.#mayRetry())) {
      this.#discarding = false;
      this.#retry(err);
      return;
    }
    this.#fail(this.#wrap(err));
  }

  // ---- attempts ----

  #attempt(lastError?: Error): void {
    const set = this.#ctx.set;
    const now = performance.now();
    const entry = this.#tried === null ? set.pick(now) : set.pickExcluding(this.#tried, now);
    if (entry === undefined) {
      if (this.#tried !== null) {
        // Only when backends were removed meanwhile (retries are checked against the set's size).
        this.#fail(lastError ? this.#wrap(lastError) : new NoBackendsError(`${this.#opts.method} ${this.#opts.path}: its backend answered 5xx and no other backend is left to retry on`));
        return;
      }
      this.#cancelClaim = set.claim(this.#ctx.claimTimeoutMs, (found) => {
        this.#cancelClaim = null;
        if (found) this.#attempt();
        else if (this.#ctx.state.destroyed) this.#fail(new AgentDestroyedError());
        else if (this.#ctx.state.closed) this.#fail(new AgentClosedError());
        else {
          this.#ctx.totals.noBackends++;
          this.#fail(new NoBackendsError(`no backend became available within ${this.#ctx.claimTimeoutMs} ms`));
        }
      });
      return;
    }
    this.#entry = entry;
    // A request deposits into the retry budget once, with its first attempt.
    if (this.#attempts++ === 0) this.#ctx.budget.deposit(now);
    this.#written = false;
    this.#controller = null;
    this.#inAttempt = true;
    entry.outstanding++;
    entry.requests++;
    this.#startedAt = now;
    // The pool's own origin is used; opts pass through untouched, so a
    // replayable body is simply written again on a retry.
    this.#dispatching = true;
    try {
      entry.pool().dispatch(this.#opts, this);
    } finally {
      this.#dispatching = false;
    }
  }

  #retry(lastError?: Error): void {
    const entry = this.#entry!;
    entry.retries++;
    this.#ctx.totals.retries++;
    (this.#tried ??= []).push(entry);
    this.#attempt(lastError);
  }

  #endAttempt(): void {
    if (this.#inAttempt) {
      this.#inAttempt = false;
      this.#entry!.outstanding--;
    }
  }

  #mayRetry(): boolean {
    // After close() pools take no new requests: attempts in flight finish, no more.
    if (this.#attempts >= this.#ctx.maxAttempts || this.#ctx.state.closed) return false;
    if (this.#ctx.set.size <= (this.#tried?.length ?? 0) + 1) return false;
    // An attempt that was never written cost the backend nothing, so moving
    // it elsewhere spends no budget (maxAttempts still bounds it).
    if (!this.#written) return true;
    return this.#ctx.budget.tryWithdraw(performance.now());
  }

  /** The caller's own body stream failed: not the backend's doing. */
  #isBodyError(err: Error): boolean {
    const body = this.#opts.body as { errored?: unknown } | null | undefined;
    return body != null && typeof body === 'object' && 'errored' in body && body.errored === err;
  }

  #outcome(): { method: string; replayable: boolean; written: boolean } {
    return { method: this.#opts.method, replayable: isReplayable(this.#opts.body), written: this.#written };
  }

  #wrap(err: Error): Error {
    const key = this.#entry?.key ?? '';
    return new BackendRequestError(`${this.#opts.method} ${this.#opts.path} failed on ${key} after ${this.#attempts} attempt(s): ${err.message}`, key, this.#attempts, err);
  }

  #finish(ok: boolean): void {
    if (this.#done) return;
    this.#done = true;
    const ctx = this.#ctx;
    if (ok) ctx.totals.ok++;
    else ctx.totals.failed++;
  }

  #fail(err: Error): void {
    if (this.#done) return;
    this.#finish(false);
    this.#handler.onResponseError?.(this, err);
  }
}
