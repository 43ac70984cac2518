import { EventEmitter } from 'node:events';
import { domainToPath, parentPath, type Mirror, type Store } from '../registry/index.ts';
import type { Logger } from '../log.ts';
import type { Check } from './checks.ts';
import { createCheck } from './checks.ts';
import type { SidecarConfig } from './config.ts';
import { runDrain } from './drain.ts';
import { describeProgress, type DrainProgress, type NameserverPresence } from '../drain/index.ts';
import {
  intentPath, newIntent, parseIntent, parseStatus, statusPath, type DrainIntent, type SidecarState, type SidecarStatus,
} from '../drain/index.ts';
import { readClientHoldMs } from '../drain/index.ts';
import { HealthMonitor } from './health-monitor.ts';
import { createInFlightProbe, describeInFlight, type InFlightProbe } from './in-flight.ts';
import type { SidecarMetrics } from './metrics.ts';
import { hostRecord, instanceAddress, longestTtl, recordText, serviceRecord } from './records.ts';
import { Registration } from './registration.ts';
import { LatestWriter } from './latest-writer.ts';
import type { SingletonSwitch } from '../lease/index.ts';
import { createPresenceProbe } from './presence.ts';

export interface SidecarOptions {
  config: SidecarConfig;
  /** The registry session; the caller opens and closes it. */
  store: Store;
  /** Overrides the probe built from `config.drain` (nameservers or bootstrap): asks every nameserver whether it still serves this instance (presence.ts). */
  presence?: () => Promise<NameserverPresence[]>;
  logger?: Logger;
  /** Prometheus metrics (metrics.ts), only when asked for: without them prom-client is never loaded and a check costs no bookkeeping. */
  metrics?: SidecarMetrics;
  /** Overrides the check built from `config.healthCheck`. */
  check?: Check;
  /** Overrides the probe built from `config.drain.inFlight`. */
  inFlight?: InFlightProbe;
}

interface DrainRun {
  intent: DrainIntent;
  abort: AbortController;
  done: Promise<DrainProgress>;
}

/**
 * One instance's sidecar: registers it while healthy and not draining,
 * follows the drain intent in the registry, publishes its status beside it,
 * and on `stop()` leaves the registry at once.
 *
 * The decision is one line (`#want`); everything else is bookkeeping.
 */
export class Sidecar extends EventEmitter<{ status: [SidecarStatus] }> {
  readonly config: SidecarConfig;
  readonly metrics: SidecarMetrics | undefined;
  readonly #store: Store;
  readonly #log: Logger | undefined;
  readonly #presence: () => Promise<NameserverPresence[]>;
  readonly #inFlight: InFlightProbe;
  readonly #registration: Registration;
  readonly #monitor: HealthMonitor | undefined;
  readonly #intentPath: string;
  readonly #statusWriter: LatestWriter<SidecarStatus>;
  #status: SidecarStatus;
  #healthy: boolean;
  /** For `herald status` / `herald why`: when the state last changed, and the latest check. */
  #since = Date.now();
  #lastCheck: { ok: boolean; detail: string; at: number } | undefined;
  #intent: DrainIntent | undefined;
  /** Whether the registry's intent has been read once: until then no intent means "not known yet". */
  #intentRead = false;
  /** A finished drain for the current intent (kept across a restart through the status node). */
  #finished: { intentId: string; progress: DrainProgress } | undefined;
  #drain: DrainRun | undefined;
  /** The running drain's latest progress. */
  #progress: DrainProgress | undefined;
  #stopping = false;
  #started = false;
  #mirror: Mirror | undefined;
  /** `config.singleton`: on while not draining or stopping (built by start(): the lease code is loaded only for it). */
  #singleton: SingletonSwitch | undefined;

  constructor(options: SidecarOptions) {
    super();
    const { config, store } = options;
    this.config = config;
    this.#store = store;
    // Every line names the instance, so one log stream can hold several sidecars (bunyan -c 'this.instance == ...').
    this.#log = options.logger?.child({ domain: config.registration.domain, instance: config.instance });
    this.#presence = options.presence ?? createPresenceProbe(config, store);
    const reg = config.registration;
    this.metrics = options.metrics;
    this.#inFlight = options.inFlight ?? createInFlightProbe(config.drain.inFlight, config.drain.lookupTimeout);
    const address = instanceAddress(config);
    const hostText = recordText(hostRecord(reg, address));
    const service = serviceRecord(reg);
    const servicePath = domainToPath(reg.domain);
    this.#registration = new Registration(store, {
      ephemeral: [`${servicePath}/${config.instance}`, ...reg.aliases.map((a) => domainToPath(a))].map((path) => ({ path, data: hostText })),
      ...(service ? { service: { path: servicePath, data: recordText(service) } } : {}),
    }, { heartbeatMs: reg.heartbeatInterval });
    const hc = config.healthCheck;
    this.#healthy = hc === undefined;
    if (hc) {
      const check = options.check ?? createCheck(hc.check, hc.timeout);
      const seconds = this.metrics?.checkSeconds;
      const timed: Check = seconds ? async () => {
        const end = seconds.startTimer();
        try {
          return await check();
        } finally {
          end();
        }
      } : check;
      this.#monitor = new HealthMonitor(timed, { interval: hc.interval, rise: hc.rise, fall: hc.fall });
    }
    this.#intentPath = intentPath(reg.domain, config.instance);
    const statusAt = statusPath(reg.domain, config.instance);
    this.#statusWriter = new LatestWriter((s) => store.putPersistent(statusAt, JSON.stringify(s)), (err) => this.#log?.debug({ err }, 'status not published yet'));
    this.#status = { state: 'starting', domain: reg.domain, instance: config.instance, healthy: this.#healthy, registered: false, updatedAt: Date.now(), pid: process.pid };
    this.#wire();
  }

  get status(): SidecarStatus {
    return this.#status;
  }

  get nodePaths(): string[] {
    const reg = this.config.registration;
    return [`${domainToPath(reg.domain)}/${this.config.instance}`, ...reg.aliases.map((a) => domainToPath(a))];
  }

  #wire(): void {
    const m = this.metrics;
    m?.healthy.set(this.#healthy ? 1 : 0);
    let refused = false;
    this.#registration.on('registered', () => { refused = false; m?.registered.set(1); this.#log?.info({ nodes: this.nodePaths }, 'registered'); this.#publish(); });
    this.#registration.on('unregistered', () => { m?.registered.set(0); this.#log?.info('unregistered'); this.#publish(); });
    this.#registration.on('leftover', (path) => { m?.leftoversReplaced.inc(); this.#log?.info({ path }, 'replaced a leftover node of a previous session'); });
    this.#registration.on('failed', (err) => {
      m?.registryErrors.inc();
      // Refused writes (NOAUTH) are said once, not on every retry of the backoff.
      if ((err as { code?: unknown }).code === 'HERALD_REGISTRY_NOAUTH') { if (!refused) this.#log?.error({ err: { message: err.message, code: 'HERALD_REGISTRY_NOAUTH' } }, 'registry refused our writes (NOAUTH): wrong --zk-auth identity or missing from \'herald acl apply --sidecar\'; retrying with backoff'); refused = true; return; }
      this.#log?.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'registry write failed; retrying'); });
    this.#monitor?.on('result', (r) => {
      m?.checks.inc({ result: r.ok ? 'ok' : 'fail' });
      const flipped = this.#lastCheck?.ok !== r.ok;
      this.#lastCheck = { ok: r.ok, detail: r.detail, at: Date.now() };
      if (flipped) this.#publish();
    });
    this.#monitor?.on('up', (r) => this.#onHealth(true, r.detail));
    this.#monitor?.on('down', (r) => this.#onHealth(false, r.detail));
    // One log line per state change, with why; the gauges follow every published status.
    let last: SidecarState = this.#status.state;
    m?.observeStatus(this.#status);
    this.on('status', (s) => {
      m?.observeStatus(s);
      if (s.state === last) return;
      this.#log?.info({ from: last, to: s.state, reason: transitionReason(s) }, `state ${last} -> ${s.state}: ${transitionReason(s)}`);
      last = s.state;
    });
    if (m) {
      this.#store.on('state', (state) => m.observeSession(state));
      m.observeSession(this.#store.state);
    }
  }

  #onHealth(healthy: boolean, detail: string): void {
    this.#healthy = healthy;
    this.metrics?.healthy.set(healthy ? 1 : 0);
    this.metrics?.transitions.inc({ to: healthy ? 'up' : 'down' });
    this.#log?.info({ detail }, healthy ? 'health check rose' : 'health check fell');
    this.#decide();
  }

  /** Starts checking, registering and following the drain intent. */
  async start(): Promise<void> {
    // A drain finished before a restart stays finished: read our last status first.
    try {
      await this.#store.ready(this.config.zookeeper?.connectTimeout ?? 4000);
      const previous = parseStatus((await this.#store.get(statusPath(this.config.registration.domain, this.config.instance)))?.data ?? null);
      // Stopped (SIGTERM, a restart) while out of DNS for an intent whose drain had ended: still drained, not
      // drained again. The status it left says `stopped`, with the drain it showed (the intent's, or the
      // short one on the signal) — only a drain that reached `drained` counts for a stopped one.
      const stoppedDrained = (previous?.state === 'stopped' || previous?.state === 'stopping') && previous.drain?.phase === 'drained';
      if (previous?.intent && previous.drain && (previous.state === 'drained' || stoppedDrained)) this.#finished = { intentId: previous.intent, progress: previous.drain };
    } catch (err) {
      this.#log?.warn({ err: { message: (err as Error).message } }, 'registry not reachable at start; continuing');
    }
    // The domain's intent directory, not the intent node itself: the directory
    // is never deleted, and the registry's mirror does not see a deleted root
    // come back (noticed 2026-11-22; the leaf under a live root works).
    this.#mirror = this.#store.mirror(parentPath(this.#intentPath));
    this.#mirror.on('synced', () => this.#onIntent());
    this.#mirror.on('change', () => this.#onIntent());
    this.#logInFlightMethod();
    const single = this.config.singleton;
    if (single && !this.#singleton) {
      const { SingletonSwitch } = await import('../lease/singleton-switch.ts');
      this.#singleton = new SingletonSwitch({
        name: single.name, command: single.command, graceMs: single.grace, restartDelayMs: single.restartDelay, store: this.#store, instance: this.config.instance,
      }, this.#log);
    }
    this.#registration.start();
    this.#monitor?.start();
    this.#started = true;
    this.#decide();
  }

  /** Says once how a drain will count work in flight, or why it cannot (then every drain would wait out its deadline). */
  #logInFlightMethod(): void {
    try {
      const method = describeInFlight(this.config.drain.inFlight);
      this.#log?.info({ inFlight: method }, `in flight: ${method}`);
    } catch (err) {
      this.#log?.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, (err as Error).message);
    }
  }

  #onIntent(): void {
    const node = this.#mirror?.snapshot?.get(this.#intentPath);
    const intent = node ? parseIntent(node.data, this.config.drain.deadline) : undefined;
    const first = !this.#intentRead;
    this.#intentRead = true;
    if (intent?.id === this.#intent?.id) {
      if (first && !intent) this.#decide(); // no intent after all: register if healthy; a drain finished before a restart is over
      return;
    }
    this.#intent = intent;
    this.#log?.info({ intent }, intent ? 'drain requested' : 'drain lifted');
    this.#decide();
  }

  /**
   * The whole policy: registered iff healthy, not asked to drain, not
   * stopping — and only once the intent has been read: a restarted instance
   * whose first check passed before its intent mirror synced registered for
   * a moment in the middle of an operator's drain (seen in the rolling-update
   * test). Registering needs the same session the mirror reads through.
   */
  #want(): boolean {
    return this.#intentRead && this.#healthy && this.#intent === undefined && !this.#stopping;
  }

  #decide(): void {
    this.#registration.want(this.#want());
    const intent = this.#intent;
    // The singleton gives its lease up as soon as a drain is asked (the next instance takes over at once).
    void this.#singleton?.set(this.#started && intent === undefined && !this.#stopping);
    if (intent && !this.#stopping && this.#drain?.intent.id !== intent.id && this.#finished?.intentId !== intent.id) this.#startDrain(intent);
    if (!intent && this.#drain) this.#cancelDrain();
    // Not before the intent is read: a drain finished before a restart stays finished (start()).
    if (!intent && this.#intentRead) this.#finished = undefined;
    this.metrics?.draining.set(intent ? 1 : 0);
    this.#publish();
  }

  #startDrain(intent: DrainIntent, deadlineMs = intent.deadlineMs ?? this.config.drain.deadline): DrainRun {
    if (this.#drain) this.#cancelDrain();
    const d = this.config.drain;
    // Registered as current before it starts: the drain reports progress at once.
    const run = { intent, abort: new AbortController() } as DrainRun;
    this.#drain = run;
    run.done = runDrain({
      remove: async () => { await this.#registration.set(false); return this.nodePaths.length; },
      presence: this.#presence,
      inFlight: this.#inFlight,
    }, {
      deadlineMs,
      ttlMs: longestTtl(this.config.registration) * 1000 + d.ttlMargin,
      holdMs: async (absentAt) => (await readClientHoldMs(this.#store, this.config.registration.domain, longestTtl(this.config.registration) * 1000, absentAt)) + d.ttlMargin,
      pollMs: d.pollInterval,
      reason: intent.reason,
      signal: run.abort.signal,
      onProgress: (p) => {
        if (this.#drain !== run) return;
        this.#progress = p;
        this.#publish();
      },
    });
    void run.done.then((p) => this.#drainEnded(run, p));
    return run;
  }

  #drainEnded(run: DrainRun, p: DrainProgress): void {
    const outcome = run.abort.signal.aborted ? 'cancelled' : p.phase;
    this.metrics?.drains.inc({ outcome });
    for (const ph of p.phases) this.metrics?.drainPhaseSeconds.observe({ phase: ph.phase }, ph.ms / 1000);
    if (this.#drain !== run) return;
    this.#drain = undefined;
    if (outcome === 'cancelled') return;
    this.#finished = { intentId: run.intent.id, progress: p };
    this.#progress = p;
    this.#log?.info({ drain: p }, describeProgress(p, Date.now()));
    this.#publish();
  }

  #cancelDrain(): void {
    this.#drain?.abort.abort();
    this.#drain = undefined;
    this.#progress = undefined;
  }

  #publish(): void {
    let state: SidecarState;
    if (this.#stopping) state = this.#status.state === 'stopped' ? 'stopped' : 'stopping';
    else if (this.#intent) state = this.#finished?.intentId === this.#intent.id ? 'drained' : 'draining';
    else if (!this.#healthy) state = 'unhealthy';
    else state = this.#registration.registered ? 'registered' : 'starting';
    const status: SidecarStatus = {
      state,
      domain: this.config.registration.domain,
      instance: this.config.instance,
      healthy: this.#healthy,
      registered: this.#registration.registered,
      updatedAt: Date.now(),
      pid: process.pid,
    };
    if (state !== this.#status.state) this.#since = status.updatedAt;
    status.since = this.#since;
    if (this.#lastCheck) status.lastCheck = this.#lastCheck;
    const finished = this.#intent && this.#finished?.intentId === this.#intent.id ? this.#finished.progress : undefined;
    const shown = finished ?? (this.#intent || this.#stopping ? this.#progress : undefined);
    if (this.#intent) status.intent = this.#intent.id;
    if (shown) status.drain = shown;
    if (shown?.inFlight !== undefined) this.metrics?.inFlight.set(shown.inFlight);
    this.#status = status;
    this.emit('status', status);
    this.#statusWriter.write(status);
  }

  /** Asks for a drain the way `herald drain` does: through the intent node, so it outlives this process. */
  async requestDrain(reason: string, deadlineMs = this.config.drain.deadline): Promise<DrainIntent> {
    const intent = newIntent(reason, deadlineMs, 'admin-socket');
    await this.#store.putPersistent(this.#intentPath, JSON.stringify(intent));
    // Act now rather than on the watch's echo (the mirror then sees the same id).
    this.#intent = intent;
    this.#decide();
    return intent;
  }

  /** Lifts the drain intent; the instance re-registers once healthy. */
  async resume(): Promise<void> {
    await this.#store.delete(this.#intentPath);
    this.#intent = undefined;
    this.#decide();
  }

  /**
   * SIGTERM/SIGINT: leave the registry at once, run a short drain (bounded
   * by `drain.signalDeadline`), publish `stopped`. The caller then closes
   * the store, which ends the session.
   */
  async stop(): Promise<DrainProgress | undefined> {
    if (this.#stopping) return undefined;
    this.#stopping = true;
    this.#cancelDrain();
    this.#decide(); // the nodes go now, before anything else is waited for
    const monitorStopped = this.#monitor?.stop();
    let progress: DrainProgress | undefined;
    const alreadyDrained = this.#intent !== undefined && this.#finished?.intentId === this.#intent.id;
    if (!alreadyDrained) {
      const run = this.#startDrain(newIntent('stopping', this.config.drain.signalDeadline), this.config.drain.signalDeadline);
      progress = await run.done;
      this.#drain = undefined;
    }
    await monitorStopped;
    await this.#singleton?.set(false);
    this.#mirror?.close();
    await this.#registration.close();
    this.#status = { ...this.#status, state: 'stopped', updatedAt: Date.now(), since: Date.now() };
    this.emit('status', this.#status);
    await this.#statusWriter.flush(this.#status, 1000);
    return progress;
  }
}

/** Why a sidecar is in its state, in a few words, for its transition log line. */
function transitionReason(s: SidecarStatus): string {
  switch (s.state) {
    case 'draining':
    case 'drained':
      return s.drain ? `${s.drain.reason}; ${describeProgress(s.drain, Date.now())}` : 'drain requested';
    case 'unhealthy':
      return 'health check failing';
    case 'registered':
      return 'health check passing and not draining';
    case 'starting':
      return s.healthy ? 'registering' : 'waiting for the health check';
    case 'stopping':
    case 'stopped':
      return 'stop requested (signal)';
  }
}
