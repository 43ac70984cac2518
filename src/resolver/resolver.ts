import { EventEmitter, on } from 'node:events';
import { isType, Rcode, RecordType, type ResourceRecord } from '../dns/index.ts';
import type { Backend, BackendSource, BackendsState } from './backend-source.ts';
import { diffBackends, isEmptyDiff } from './backends-diff.ts';
import { bootstrapNameservers } from './bootstrap.ts';
import { DnsClient } from './dns-client.ts';
import { EmptyAnswerError } from './errors.ts';
import { lookup, systemNameservers, type LookupResult } from './lookup.ts';
import type { Nameserver } from './nameserver.ts';
import { resolveOptions, type ResolvedOptions, type ResolverOptions } from './resolver-options.ts';
import { addressBackends, srvBackends, type SrvTarget } from './srv-backends.ts';
import { minTtl, refreshDelayMs, retryDelayMs } from './ttl.ts';
import type { ResolverStats } from './resolver-stats.ts';

type AddressType = typeof RecordType.A | typeof RecordType.AAAA;

/** One record set Herald re-queries on its own schedule. */
interface RecordSet {
  name: string;
  type: number;
  timer: NodeJS.Timeout | undefined;
  failures: number;
  /** Since when its lookups fail (its last good data is kept meanwhile). */
  failingSince: number | undefined;
  error: Error | undefined;
}

/**
 * Tracks the backends of one service through DNS, as binder serves them:
 * SRV `_service._proto.<domain>` first, each target's addresses from the
 * additional section or A/AAAA queries; when the SRV name definitively does
 * not exist (NXDOMAIN, NODATA, NOTIMP), A/AAAA on the domain at the default
 * port. Every record set is re-queried when its own (clamped, jittered) TTL
 * runs out. Failures keep the last good data for `keepStaleMs` (fail
 * static) and never switch between SRV and A.
 *
 * Events: `added(backend)`, `removed(backend)`, `updated(state)`.
 */
export class Resolver extends EventEmitter implements BackendSource {
  readonly #o: ResolvedOptions;
  #client: DnsClient | undefined;
  #abort: AbortController | undefined;
  #nameservers: Nameserver[] | undefined;
  #bootstrapTimer: NodeJS.Timeout | undefined;
  #bootstrapFailures = 0;
  /** `srv` while the SRV name exists, `address` after a definitive negative; undefined until known. */
  #mode: 'srv' | 'address' | undefined;
  #srv: SrvTarget[] = [];
  /** TTL of the last SRV records seen, the refresh time while the service is empty. */
  #srvTtl: number | undefined;
  /** Addresses per owner name and type. */
  #addresses = new Map<string, Map<number, string[]>>();
  #sets = new Map<string, RecordSet>();
  #backends: readonly Backend[] = [];
  #published: BackendsState | undefined;
  #emptySince: number | undefined;
  #keepTimer: NodeJS.Timeout | undefined;
  #lookups = 0;
  #inflight = 0;
  #lookupFailures = 0;

  constructor(options: ResolverOptions) {
    super();
    this.#o = resolveOptions(options);
    const registry = this.#o.registry;
    // metrics.ts loads prom-client: only a resolver given a registry pays for
    // it, never `herald dig` or `herald wait`. The metrics read the
    // resolver's counters when scraped, so registering them a moment after
    // construction loses no count; only a scrape within that moment misses them.
    if (registry) void import('./metrics.ts').then((m) => m.registerResolverMetrics(registry, this));
  }

  get domain(): string { return this.#o.domain; }

  backends(): readonly Backend[] {
    return this.#backends;
  }

  /** The last state reported in `updated`, or undefined before the first. */
  state(): BackendsState | undefined {
    return this.#published;
  }

  get running(): boolean {
    return this.#abort !== undefined;
  }

  start(): void {
    if (this.#abort) return;
    this.#abort = new AbortController();
    this.#client = new DnsClient();
    if (this.#o.bootstrap !== undefined) void this.#bootstrap();
    else this.#refresh(this.#o.srvName, RecordType.SRV);
  }

  stop(): void {
    if (!this.#abort) return;
    this.#abort.abort();
    this.#abort = undefined;
    for (const set of this.#sets.values()) clearTimeout(set.timer);
    this.#sets.clear();
    clearTimeout(this.#bootstrapTimer);
    clearTimeout(this.#keepTimer);
    this.#client?.close();
    this.#client = undefined;
  }

  /** Each `updated` state from now on, until `stop()`. */
  async *[Symbol.asyncIterator](): AsyncIterator<BackendsState> {
    const signal = this.#abort?.signal;
    if (!signal) return;
    try {
      for await (const [state] of on(this, 'updated', { signal })) yield state as BackendsState;
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }

  /** Counters for metrics: lookups, per-nameserver queries and failures, fail-static age. */
  stats(): ResolverStats {
    const state = this.#published;
    const since = this.#staleSince();
    return {
      domain: this.#o.domain,
      mode: this.#mode ?? 'unknown',
      backends: this.#backends.length,
      stale: state?.stale ?? false,
      staleSeconds: state?.stale && since !== undefined ? (Date.now() - since) / 1000 : 0,
      lookups: this.#lookups,
      lookupFailures: this.#lookupFailures,
      nameservers: Object.fromEntries(this.#client?.stats ?? []),
    };
  }

  async #bootstrap(): Promise<void> {
    const signal = this.#abort?.signal;
    if (!signal || signal.aborted) return;
    let delay: number;
    try {
      const found = await bootstrapNameservers(this.#o.bootstrap!, { ...this.#lookupOptions(this.#o.nameservers), signal });
      if (signal.aborted) return;
      const first = this.#nameservers === undefined;
      this.#nameservers = found.nameservers;
      this.#bootstrapFailures = 0;
      delay = refreshDelayMs(found.ttl, this.#o.bounds, this.#o.jitter);
      if (first) this.#refresh(this.#o.srvName, RecordType.SRV);
    } catch (err) {
      if (signal.aborted) return;
      delay = retryDelayMs(++this.#bootstrapFailures, this.#o.retryMs, this.#o.maxRetryMs);
      if (this.#nameservers === undefined) this.#publish(err as Error);
    }
    this.#bootstrapTimer = setTimeout(() => void this.#bootstrap(), delay);
  }

  #lookupOptions(nameservers: readonly Nameserver[] | undefined) {
    return { ...(nameservers ? { nameservers } : {}), timeoutMs: this.#o.timeoutMs, tries: this.#o.tries, client: this.#client! };
  }

  #set(name: string, type: number): RecordSet {
    const key = `${type} ${name}`;
    let set = this.#sets.get(key);
    if (set === undefined) {
      set = { name, type, timer: undefined, failures: 0, failingSince: undefined, error: undefined };
      this.#sets.set(key, set);
    }
    return set;
  }

  #dropSet(name: string, type: number): void {
    const key = `${type} ${name}`;
    clearTimeout(this.#sets.get(key)?.timer);
    this.#sets.delete(key);
  }

  #schedule(set: RecordSet, delayMs: number): void {
    clearTimeout(set.timer);
    set.timer = setTimeout(() => this.#refresh(set.name, set.type), delayMs);
  }

  /** Queries one record set now, applies the answer, and schedules the next query. */
  #refresh(name: string, type: number): void {
    const signal = this.#abort?.signal;
    if (!signal) return;
    const set = this.#set(name, type);
    clearTimeout(set.timer);
    set.timer = undefined;
    this.#lookups++;
    this.#inflight++;
    const asked = this.#nameservers ?? this.#o.nameservers;
    const nameservers = asked ? Promise.resolve(asked) : systemNameservers();
    nameservers
      .then((list) => lookup(name, type, { ...this.#lookupOptions(list), signal }))
      .then((result) => {
        this.#inflight--;
        if (signal.aborted || this.#sets.get(`${type} ${name}`) !== set) return;
        set.failures = 0;
        set.failingSince = undefined;
        set.error = undefined;
        if (type === RecordType.SRV) this.#onSrv(set, result);
        else this.#onAddresses(set, result);
        this.#publish();
      }, (err: Error) => {
        this.#inflight--;
        if (signal.aborted || this.#sets.get(`${type} ${name}`) !== set) return;
        this.#lookupFailures++;
        this.#onFailure(set, err);
      });
  }

  #onSrv(set: RecordSet, result: LookupResult): void {
    const records = result.answers.filter((r) => isType(r, RecordType.SRV));
    const kind = srvAnswerKind(result, records.length);
    if (kind === 'records' || kind === 'empty') {
      if (this.#mode === 'address') for (const t of this.#o.addressTypes) this.#forget(this.#o.domain, RecordType[t]);
      this.#mode = 'srv';
      this.#srv = records.map((r) => ({ target: r.target.toLowerCase(), port: r.port, priority: r.priority, weight: r.weight }));
      const targets = new Set(this.#srv.map((r) => r.target));
      for (const name of [...this.#addresses.keys()]) {
        if (!targets.has(name)) for (const t of this.#o.addressTypes) this.#forget(name, RecordType[t]);
      }
      for (const target of targets) this.#targetAddresses(target, result.additionals);
      // An empty service is asked again at the TTL its records had (binder's empty answer carries none), so that
      // an instance coming back is seen as soon as it would have been while the service had members.
      if (records.length > 0) this.#srvTtl = minTtl(records)!;
      const ttl = records.length > 0 ? this.#srvTtl! : (this.#srvTtl ?? result.negativeTtl ?? this.#o.negativeTtl);
      this.#schedule(set, refreshDelayMs(ttl, this.#o.bounds, this.#o.jitter));
    } else if (kind === 'absent') {
      // The SRV name definitively does not exist: fall back to the domain's own addresses.
      if (this.#mode !== 'address') {
        for (const name of [...this.#addresses.keys()]) for (const t of this.#o.addressTypes) this.#forget(name, RecordType[t]);
        this.#srv = [];
        this.#mode = 'address';
        for (const t of this.#o.addressTypes) this.#refresh(this.#o.domain, RecordType[t]);
      }
      this.#schedule(set, refreshDelayMs(result.negativeTtl ?? this.#o.negativeTtl, this.#o.bounds, this.#o.jitter));
    } else {
      this.#onFailure(set, new EmptyAnswerError(result.name, result.status));
    }
  }

  /** A target's addresses from the additional section when it has any, else its own queries. */
  #targetAddresses(target: string, additionals: readonly ResourceRecord[]): void {
    const glue = additionals.filter((r) => r.name.toLowerCase() === target && (r.type === RecordType.A || r.type === RecordType.AAAA));
    for (const t of this.#o.addressTypes) {
      const type = RecordType[t];
      if (glue.length > 0) {
        const records = glue.filter((r) => r.type === type);
        this.#store(target, type, records);
        const set = this.#set(target, type);
        set.failures = 0;
        set.failingSince = undefined;
        set.error = undefined;
        // With no glue of this type, look again no sooner than the SRV's own refresh would.
        this.#schedule(set, refreshDelayMs(minTtl(records.length ? records : glue)!, this.#o.bounds, this.#o.jitter));
      } else if (!this.#addresses.get(target)?.has(type) && !this.#sets.get(`${type} ${target}`)?.timer) {
        this.#refresh(target, type);
      }
    }
  }

  #onAddresses(set: RecordSet, result: LookupResult): void {
    const relevant = this.#mode === 'address' ? set.name === this.#o.domain : this.#srv.some((r) => r.target === set.name);
    if (!relevant) { this.#forget(set.name, set.type); return; }
    const records = result.answers.filter((r) => r.type === set.type);
    if (result.rcode === Rcode.NOERROR || isNegative(result)) {
      this.#store(set.name, set.type as AddressType, records);
      const ttl = records.length > 0 ? minTtl(records)! : (result.negativeTtl ?? this.#o.negativeTtl);
      this.#schedule(set, refreshDelayMs(ttl, this.#o.bounds, this.#o.jitter));
    } else {
      this.#onFailure(set, new EmptyAnswerError(result.name, result.status));
    }
  }

  #store(name: string, type: number, records: readonly ResourceRecord[]): void {
    let byType = this.#addresses.get(name);
    if (byType === undefined) { byType = new Map(); this.#addresses.set(name, byType); }
    byType.set(type, records.map((r) => ('address' in r ? r.address : '')).filter(Boolean));
  }

  #forget(name: string, type: number): void {
    this.#dropSet(name, type);
    const byType = this.#addresses.get(name);
    byType?.delete(type);
    if (byType?.size === 0) this.#addresses.delete(name);
  }

  /** A lookup failed: keep the set's last good data until `keepStaleMs`, retry with backoff. */
  #onFailure(set: RecordSet, err: Error): void {
    const now = Date.now();
    set.failures++;
    set.failingSince ??= now;
    set.error = err;
    const kept = now - set.failingSince;
    if (kept >= this.#o.keepStaleMs) {
      // Kept long enough: this set's data is no longer trusted.
      if (set.type === RecordType.SRV) {
        this.#srv = [];
        // Its targets' sets go too; the SRV retry brings them back with the next answer.
        for (const name of [...this.#addresses.keys()]) if (name !== this.#o.domain) for (const t of this.#o.addressTypes) this.#forget(name, RecordType[t]);
      } else {
        this.#addresses.get(set.name)?.delete(set.type);
      }
    }
    const remaining = this.#o.keepStaleMs - kept;
    const delay = retryDelayMs(set.failures, this.#o.retryMs, this.#o.maxRetryMs);
    this.#schedule(set, remaining > 0 ? Math.min(delay, remaining) : delay);
    this.#publish();
  }

  #compute(): Backend[] {
    if (this.#mode === 'srv') return srvBackends(this.#srv, (target) => this.#addressesOf(target));
    if (this.#mode === 'address') return addressBackends(this.#o.domain, this.#o.defaultPort, this.#addressesOf(this.#o.domain));
    return [];
  }

  #addressesOf(name: string): string[] {
    const byType = this.#addresses.get(name);
    if (byType === undefined) return [];
    return this.#o.addressTypes.flatMap((t) => byType.get(RecordType[t]) ?? []);
  }

  #failing(): RecordSet | undefined {
    for (const set of this.#sets.values()) if (set.failingSince !== undefined) return set;
    return undefined;
  }

  #staleSince(): number | undefined {
    let since = this.#emptySince;
    for (const set of this.#sets.values()) {
      if (set.failingSince !== undefined && (since === undefined || set.failingSince < since)) since = set.failingSince;
    }
    return since;
  }

  /** Computes the backends, keeps last-known-good over an empty answer, emits what changed. */
  #publish(fatal?: Error): void {
    const now = Date.now();
    let next = this.#compute();
    let error: Error | undefined = fatal ?? this.#failing()?.error;
    let keeping = false;
    if (next.length === 0 && this.#backends.length > 0) {
      this.#emptySince ??= now;
      if (now - this.#emptySince < this.#o.keepStaleMs) {
        keeping = true;
        next = [...this.#backends];
        error ??= new EmptyAnswerError(this.#o.srvName, 'no backends');
        clearTimeout(this.#keepTimer);
        this.#keepTimer = setTimeout(() => this.#publish(), this.#emptySince + this.#o.keepStaleMs - now);
        this.#keepTimer.unref(); // the record sets' own timers keep the resolver going
      }
    } else {
      this.#emptySince = undefined;
    }
    if (!keeping) { clearTimeout(this.#keepTimer); this.#keepTimer = undefined; }
    const stale = next.length > 0 && (keeping || error !== undefined);
    const diff = diffBackends(this.#backends, next);
    const before = this.#published;
    // The first state waits for the queries the first answer started (a target's addresses).
    const firstAnswer = before === undefined && this.#inflight === 0 && (this.#mode !== undefined || error !== undefined);
    if (isEmptyDiff(diff) && !firstAnswer && before?.stale === stale && before.error?.message === error?.message) return;
    this.#backends = isEmptyDiff(diff) ? this.#backends : next;
    const state: BackendsState = error ? { backends: this.#backends, stale, error } : { backends: this.#backends, stale };
    this.#published = state;
    for (const b of diff.removed) this.emit('removed', b);
    for (const b of diff.added) this.emit('added', b);
    this.emit('updated', state);
  }
}

/**
 * What an SRV answer says about the service (BINDER.md §3):
 * - `records`: NOERROR with SRV records;
 * - `empty`: NOERROR, no SRV and no SOA — binder's answer for a service that
 *   exists with no instances right now: SRV mode, no backends, and an
 *   instance that returns comes back at its SRV port;
 * - `absent`: NXDOMAIN, NOTIMP, or NODATA with an SOA (binder: the name is
 *   a host, not a service; any other server: no such SRV) → A/AAAA fallback;
 * - `failed`: any other rcode.
 */
export function srvAnswerKind(result: LookupResult, srvCount: number): 'records' | 'empty' | 'absent' | 'failed' {
  if (result.rcode === Rcode.NOERROR) {
    if (srvCount > 0) return 'records';
    return result.authorities.some((r) => r.type === RecordType.SOA) ? 'absent' : 'empty';
  }
  return result.rcode === Rcode.NXDOMAIN || result.rcode === Rcode.NOTIMP ? 'absent' : 'failed';
}

function isNegative(result: LookupResult): boolean {
  return result.rcode === Rcode.NXDOMAIN || result.rcode === Rcode.NOTIMP || (result.rcode === Rcode.NOERROR && result.answers.every((r) => r.type !== result.type));
}
