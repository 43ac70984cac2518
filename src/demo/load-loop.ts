import { EventEmitter } from 'node:events';
import { request, type Dispatcher } from 'undici';
import { InvalidArgumentError } from '../errors.ts';

export interface LoadLoopOptions {
  /** The agent (any undici Dispatcher) every request goes through. */
  dispatcher: Dispatcher;
  /** @default 'http://service/' (the agent, not the URL, picks the backend) */
  url?: string;
  /** Requests started per second, evenly spread. */
  rps: number;
  /** Stop starting requests after this long (ms). @default no limit: until stop() */
  durationMs?: number;
  /** Stop starting requests after this many. @default no limit */
  maxRequests?: number;
  /** Headers and body timeout per request (ms). @default 5000 */
  timeoutMs?: number;
  /** Requests in flight at most; more wait for a slot. @default 256 */
  maxInFlight?: number;
  /** Each request's `x-request-id` is this plus a counter. @default 'r' */
  idPrefix?: string;
  now?: () => number;
}

export interface LoadFailure {
  at: number;
  id: string;
  /** An error's `code` (e.g. HERALD_BACKEND_FAILED, UND_ERR_SOCKET) or `HTTP_<status>`. */
  code: string;
  message: string;
}

export interface LoadStats {
  startedAt: number;
  sent: number;
  ok: number;
  failed: number;
  inFlight: number;
  /** Answers per instance, by the name the instance gives (`x-instance`). */
  byInstance: Record<string, number>;
  /** Slowest answer so far (ms). */
  maxLatencyMs: number;
  firstFailure?: LoadFailure;
  lastFailure?: LoadFailure;
  /** The first few failures, for the summary. */
  failures: LoadFailure[];
}

const TICK_MS = 10;
const KEEP_FAILURES = 20;

/**
 * Steady GET load through a dispatcher: `rps` requests a second, started on
 * a 10 ms tick, bounded in time, count and concurrency. A request fails if
 * it throws or answers anything but 200; the instance that answered is read
 * from its `x-instance` header, so shares are counted as the servers saw them.
 *
 * Events: `ok`({ instance, ms }), `failure`(LoadFailure), `done`(stats).
 */
export class LoadLoop extends EventEmitter<{ ok: [{ instance: string; ms: number }]; failure: [LoadFailure]; done: [LoadStats] }> {
  readonly #o: Required<Omit<LoadLoopOptions, 'durationMs' | 'maxRequests'>> & { durationMs: number; maxRequests: number };
  readonly #stats: LoadStats;
  #timer: NodeJS.Timeout | undefined;
  #idle: (() => void) | undefined;
  #stopped = false;

  constructor(options: LoadLoopOptions) {
    super();
    const rps = options.rps;
    if (!Number.isFinite(rps) || rps <= 0 || rps > 100_000) throw new InvalidArgumentError(`Expected \`rps\` to be a number from 0 (exclusive) to 100000, got ${JSON.stringify(rps)}.`);
    const durationMs = options.durationMs ?? Infinity;
    if (!(durationMs > 0)) throw new InvalidArgumentError(`Expected \`durationMs\` to be positive, got ${JSON.stringify(durationMs)}.`);
    const maxRequests = options.maxRequests ?? Infinity;
    if (!(maxRequests > 0)) throw new InvalidArgumentError(`Expected \`maxRequests\` to be positive, got ${JSON.stringify(maxRequests)}.`);
    const maxInFlight = options.maxInFlight ?? 256;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new InvalidArgumentError(`Expected \`maxInFlight\` to be a positive integer, got ${JSON.stringify(maxInFlight)}.`);
    this.#o = {
      dispatcher: options.dispatcher, url: options.url ?? 'http://service/', rps, durationMs, maxRequests,
      timeoutMs: options.timeoutMs ?? 5000, maxInFlight, idPrefix: options.idPrefix ?? 'r', now: options.now ?? Date.now,
    };
    this.#stats = { startedAt: 0, sent: 0, ok: 0, failed: 0, inFlight: 0, byInstance: {}, maxLatencyMs: 0, failures: [] };
  }

  /** A copy of the counters so far. */
  stats(): LoadStats {
    const s = this.#stats;
    return { ...s, byInstance: { ...s.byInstance }, failures: [...s.failures] };
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#stats.startedAt = this.#o.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#tick();
  }

  /** Stops starting requests and waits (at most `timeoutMs`) for those in flight. */
  async stop(timeoutMs = this.#o.timeoutMs + 1000): Promise<LoadStats> {
    if (!this.#stopped) {
      this.#stopped = true;
      clearInterval(this.#timer);
      this.#timer = undefined;
      if (this.#stats.inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          this.#idle = () => { clearTimeout(timer); resolve(); };
        });
      }
      this.emit('done', this.stats());
    }
    return this.stats();
  }

  #tick(): void {
    const s = this.#stats;
    const elapsed = this.#o.now() - s.startedAt;
    if (elapsed >= this.#o.durationMs || s.sent >= this.#o.maxRequests) {
      void this.stop();
      return;
    }
    const due = Math.min(this.#o.maxRequests, Math.floor((this.#o.rps * elapsed) / 1000) + 1);
    const room = this.#o.maxInFlight - s.inFlight;
    for (let n = Math.min(due - s.sent, room); n > 0; n--) void this.#one();
  }

  async #one(): Promise<void> {
    const s = this.#stats;
    const id = `${this.#o.idPrefix}${++s.sent}`;
    s.inFlight++;
    const started = this.#o.now();
    try {
      const res = await request(this.#o.url, {
        dispatcher: this.#o.dispatcher, headers: { 'x-request-id': id },
        headersTimeout: this.#o.timeoutMs, bodyTimeout: this.#o.timeoutMs,
      });
      await res.body.text();
      if (res.statusCode !== 200) throw Object.assign(new Error(`HTTP ${res.statusCode}`), { code: `HTTP_${res.statusCode}` });
      const instance = String(res.headers['x-instance'] ?? 'unknown');
      const ms = this.#o.now() - started;
      s.ok++;
      s.byInstance[instance] = (s.byInstance[instance] ?? 0) + 1;
      if (ms > s.maxLatencyMs) s.maxLatencyMs = ms;
      this.emit('ok', { instance, ms });
    } catch (err) {
      const e = err as Error & { code?: unknown; cause?: { code?: unknown } };
      const failure: LoadFailure = { at: this.#o.now(), id, code: String(e.code ?? e.name), message: e.cause?.code ? `${e.message} (${String(e.cause.code)})` : e.message };
      s.failed++;
      s.firstFailure ??= failure;
      s.lastFailure = failure;
      if (s.failures.length < KEEP_FAILURES) s.failures.push(failure);
      this.emit('failure', failure);
    } finally {
      s.inFlight--;
      if (s.inFlight === 0) this.#idle?.();
    }
  }
}
