import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import type { Backend, BackendSource } from '../resolver/index.ts';
import { BackendEntry } from './backend-entry.ts';
import { ejectionDuration, forgiveEjections, mayEject, type EjectionPolicy } from './ejection.ts';
import { observeLatency } from './peak-ewma.ts';
import { probe } from './probe.ts';
import { ProbeBack } from './probe-back.ts';
import { buildSnapshot, pick, pickExcluding, type PickerSnapshot, type PickOptions } from './picker.ts';

export interface BackendSetOptions {
  readonly ejection: EjectionPolicy;
  readonly pick: PickOptions;
  readonly pool: Pool.Options;
  /** Stop the source on close (the agent made it). */
  readonly ownsSource: boolean;
  /** How ejected backends are probed back: `GET path` (the `ping` option), or a TCP connect when null. */
  readonly probe: { readonly path: string | null; readonly timeoutMs: number };
}

type Waiter = (entry: BackendEntry | undefined) => void;

/**
 * The live backends of one service, shared by the dispatcher and the
 * http.Agent facade: follows a BackendSource, keeps each backend's health,
 * and answers "which backend next". Events: `ejected(key)`, `readmitted(key)`,
 * `added(key)`, `removed(key)`.
 */
export class BackendSet extends EventEmitter {
  readonly source: BackendSource;
  readonly #options: BackendSetOptions;
  readonly #entries = new Map<string, BackendEntry>();
  #snapshot: PickerSnapshot<BackendEntry>;
  #seq = 0;
  #waiters = new Set<Waiter>();
  #closed = false;
  readonly #onChange = (): void => this.#reconcile();
  readonly #probeBack: ProbeBack;

  constructor(source: BackendSource, options: BackendSetOptions) {
    super();
    this.source = source;
    this.#options = options;
    this.#snapshot = buildSnapshot([], Date.now(), options.ejection);
    const { path, timeoutMs } = options.probe;
    this.#probeBack = new ProbeBack((entry) => probe(entry, path, timeoutMs), (entry) => this.#readmit(entry));
  }

  /** Subscribes to the source and starts it. */
  start(): void {
    this.source.on('added', this.#onChange);
    this.source.on('removed', this.#onChange);
    this.source.on('updated', this.#onChange);
    this.source.start();
    this.#reconcile();
  }

  get size(): number {
    return this.#snapshot.all.length;
  }

  /** The chosen group is below the panic threshold: health is ignored. */
  get panic(): boolean {
    return this.#snapshot.panic && this.#snapshot.members.length > 0;
  }

  entries(): readonly BackendEntry[] {
    return this.#snapshot.all;
  }

  /**
   * The next backend for a new request, or undefined when there are none.
   * `perfNow` is performance.now() if the caller already has it (it also
   * stamps the attempt), saving a clock read per request.
   */
  pick(perfNow: number = performance.now()): BackendEntry | undefined {
    this.#expire();
    return pick(this.#snapshot, this.#seq++, Math.random, perfNow, this.#options.pick);
  }

  /** A backend for a retry, avoiding those already tried. */
  pickExcluding(tried: readonly BackendEntry[], perfNow: number = performance.now()): BackendEntry | undefined {
    this.#expire();
    return pickExcluding(this.#snapshot, tried, Math.random, perfNow, this.#options.pick);
  }

  /** Rebuilds the snapshot once an ejection has run out. */
  #expire(): void {
    // Nothing ejected (the usual case): no clock to read.
    if (this.#snapshot.validUntil === Infinity) return;
    const now = Date.now();
    if (now >= this.#snapshot.validUntil) this.#rebuild(now);
  }

  /**
   * Waits up to `timeoutMs` for a backend to appear. Returns a function that
   * cancels the wait (the callback is then never called).
   */
  claim(timeoutMs: number, cb: Waiter): () => void {
    const waiter: Waiter = (entry) => {
      clearTimeout(timer);
      this.#waiters.delete(waiter);
      cb(entry);
    };
    const timer = setTimeout(() => waiter(undefined), timeoutMs);
    this.#waiters.add(waiter);
    return () => {
      clearTimeout(timer);
      this.#waiters.delete(waiter);
    };
  }

  observeLatency(entry: BackendEntry, startedAt: number): void {
    const now = performance.now();
    observeLatency(entry.latency, now - startedAt, now, this.#options.pick.decayMs);
  }

  success(entry: BackendEntry): void {
    if (entry.consecutiveFailures !== 0) {
      entry.consecutiveFailures = 0;
      entry.healthySince = Date.now();
    } else if (entry.timesEjected !== 0) {
      entry.timesEjected = forgiveEjections(this.#options.ejection, entry.timesEjected, entry.healthySince, Date.now());
    }
  }

  /**
   * A connect error, transport error (`transport`) or 5xx: counts towards
   * ejection. An ejected backend is probed back when a probe can tell it
   * recovered: always with a ping path; with only a TCP connect, when its
   * last failure was a transport error (a connect says nothing about 5xx).
   */
  failure(entry: BackendEntry, transport: boolean): void {
    entry.errors++;
    entry.consecutiveFailures++;
    const policy = this.#options.ejection;
    const now = Date.now();
    if (entry.consecutiveFailures < policy.consecutiveFailures || entry.ejectedUntil > now || entry.draining) return;
    const group = this.#snapshot.all.filter((e) => e.priority === entry.priority);
    const ejected = group.filter((e) => e.ejectedUntil > now).length;
    if (!mayEject(policy, ejected, group.length)) return;
    entry.timesEjected++;
    entry.ejections++;
    entry.ejectedUntil = now + ejectionDuration(policy, entry.timesEjected);
    this.#rebuild(now);
    this.emit('ejected', entry.key);
    if (transport || this.#options.probe.path !== null) this.#probeBack.watch(entry);
  }

  /** A probe passed: the ejection ends now (on probation, as when it runs out). */
  #readmit(entry: BackendEntry): void {
    if (this.#closed || entry.draining || entry.ejectedUntil <= Date.now()) return;
    // In the past: the rebuild readmits it like an ejection that ran out.
    entry.ejectedUntil = 1;
    // A passing ping probe is a passing health check too.
    const recovered = this.#options.probe.path !== null && !entry.healthy;
    if (recovered) entry.healthy = true;
    this.#rebuild(Date.now());
    if (recovered) this.emit('healthy', entry.key);
  }

  /** Active health changed (pings). */
  setHealthy(entry: BackendEntry, healthy: boolean): void {
    if (entry.healthy === healthy) return;
    entry.healthy = healthy;
    // Back from no traffic at all: it ramps up like a backend that joined.
    if (healthy) this.#startRamp(entry);
    this.#rebuild(Date.now());
    this.emit(healthy ? 'healthy' : 'unhealthy', entry.key);
  }

  /** Stops following the source, closes every pool once its requests finish. */
  async close(): Promise<void> {
    this.#detach();
    await Promise.all([...this.#entries.values()].map((e) => e.close()));
  }

  async destroy(err: Error): Promise<void> {
    this.#detach();
    await Promise.all([...this.#entries.values()].map((e) => e.destroy(err)));
  }

  #detach(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.source.off('added', this.#onChange);
    this.source.off('removed', this.#onChange);
    this.source.off('updated', this.#onChange);
    if (this.#options.ownsSource) this.source.stop();
    this.#probeBack.stop();
    for (const w of [...this.#waiters]) w(undefined);
  }

  /** Brings the entries in line with the source's current list. */
  #reconcile(): void {
    if (this.#closed) return;
    const current = new Map<string, Backend>(this.source.backends().map((b) => [b.key, b]));
    for (const [key, entry] of this.#entries) {
      if (current.has(key)) continue;
      // In-flight requests finish first: undici's close() waits for them.
      entry.draining = true;
      this.#probeBack.forget(entry);
      this.#entries.delete(key);
      void entry.close();
      this.emit('removed', key);
    }
    // Slow start only for backends joining others: not at the first
    // resolution, nor when every backend is new (there is no one to shift
    // traffic to, and ramping all alike changes nothing).
    const ramp = this.#entries.size > 0;
    for (const [key, backend] of current) {
      const entry = this.#entries.get(key);
      if (entry) {
        entry.backend = backend;
      } else {
        const added = new BackendEntry(backend, this.#options.pool);
        if (ramp) this.#startRamp(added);
        this.#entries.set(key, added);
        this.emit('added', key);
      }
    }
    this.#rebuild(Date.now());
    if (this.#entries.size > 0) {
      for (const w of [...this.#waiters]) w(this.pick());
    }
  }

  #startRamp(entry: BackendEntry): void {
    if (this.#options.pick.slowStartMs > 0) entry.rampFrom = performance.now();
  }

  #rebuild(now: number): void {
    const threshold = this.#options.ejection.consecutiveFailures;
    const windowMs = this.#options.pick.slowStartMs;
    const perfNow = performance.now();
    let refreshAt = Infinity;
    for (const e of this.#entries.values()) {
      if (e.ejectedUntil !== 0 && e.ejectedUntil <= now) {
        // Readmitted on probation: one more failure ejects it again, for
        // longer. It had no traffic while out (and may have restarted
        // cold), so it ramps up again.
        e.ejectedUntil = 0;
        e.consecutiveFailures = threshold - 1;
        e.healthySince = now;
        this.#startRamp(e);
        this.emit('readmitted', e.key);
      }
      if (e.rampFrom >= 0) {
        const left = e.rampFrom + windowMs - perfNow;
        if (left <= 0) e.rampFrom = -1;
        else refreshAt = Math.min(refreshAt, now + left);
      }
    }
    this.#snapshot = buildSnapshot([...this.#entries.values()], now, this.#options.ejection, refreshAt);
  }
}
