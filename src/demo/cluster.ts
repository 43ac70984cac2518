import { EventEmitter } from 'node:events';
import { domainToPath, MemoryRegistry, type Mirror, type Store } from '../registry/index.ts';
import { lookup } from '../resolver/index.ts';
import { DnsServer } from '../server/index.ts';
import { parseConfig, askPresence, presencePlan, Sidecar } from '../sidecar/index.ts';
import type { DrainProgress } from '../drain/index.ts';
import type { SidecarStatus } from '../drain/index.ts';
import { drainInstance, resumeInstance } from '../drain/index.ts';
import { InstanceProcess } from './instance-process.ts';

export interface ClusterOptions {
  instances: number;
  /** The zone the DNS server answers for. @default 'demo.test' */
  zone?: string;
  /** The service's label inside the zone. @default 'web' */
  service?: string;
  /** Record TTL (s) of every answer; drains wait it out. @default 2 */
  ttl?: number;
  /** Time each request takes on an instance (ms). @default 5 */
  workMs?: number;
}

export type ProcessState = 'starting' | 'up' | 'stopping' | 'down' | 'crashed';

/** One instance: its service process and its sidecar (in this process, on its own registry session). */
export interface Member {
  readonly name: string;
  readonly process: InstanceProcess;
  readonly sidecar: Sidecar;
  readonly store: Store;
  state: ProcessState;
  status: SidecarStatus;
}

/**
 * The demo's little datacenter, all on loopback: an in-memory registry (as
 * `herald serve --registry memory` keeps), a DNS server answering from it,
 * and N instances, each a service process plus a sidecar with its own
 * registry session. Drains go through the registry (drainInstance /
 * resumeInstance), exactly as `herald drain` and `herald resume` do.
 *
 * Events: `status`(member), `process`(member).
 */
export class DemoCluster extends EventEmitter<{ status: [Member]; process: [Member] }> {
  readonly zone: string;
  readonly domain: string;
  readonly ttl: number;
  readonly registry = new MemoryRegistry();
  readonly members: Member[] = [];
  #serverStore: Store | undefined;
  #mirror: Mirror | undefined;
  #dns: DnsServer | undefined;
  readonly #workMs: number;
  readonly #count: number;

  constructor(options: ClusterOptions) {
    super();
    this.zone = options.zone ?? 'demo.test';
    this.domain = `${options.service ?? 'web'}.${this.zone}`;
    this.ttl = options.ttl ?? 2;
    this.#workMs = options.workMs ?? 5;
    this.#count = options.instances;
  }

  /** `127.0.0.1:PORT` of the DNS server. */
  get nameserver(): string {
    const a = this.#dns?.addresses[0];
    if (!a) throw new Error('the DNS server is not running');
    return `${a.address}:${a.port}`;
  }

  member(name: string): Member {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no instance ${name}`);
    return m;
  }

  async start(): Promise<void> {
    this.#serverStore = this.registry.connect();
    this.#mirror = this.#serverStore.mirror(domainToPath(this.zone));
    this.#dns = new DnsServer({ mirror: this.#mirror, domain: this.zone, listen: ['127.0.0.1:0'], threads: 1 });
    await this.#dns.start();
    for (let i = 1; i <= this.#count; i++) await this.#add(`web-${i}`);
  }

  async #add(name: string): Promise<void> {
    const proc = new InstanceProcess({ name, workMs: this.#workMs });
    const port = await proc.start();
    const { config } = parseConfig({
      instance: name,
      adminIp: '127.0.0.1',
      registration: {
        domain: this.domain, type: 'load_balancer', ttl: this.ttl, ports: [port], heartbeatInterval: 1000,
        service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80, ttl: this.ttl } },
      },
      healthCheck: { http: `http://127.0.0.1:${port}/health`, interval: 250, timeout: 500, rise: 1, fall: 2 },
      drain: { deadline: 30_000, signalDeadline: 200, ttlMargin: 500, pollInterval: 100, lookupTimeout: 500, nameservers: [this.nameserver] },
    });
    const store = this.registry.connect();
    const plan = presencePlan(config.registration, name);
    const nameservers = [this.nameserver];
    const sidecar = new Sidecar({
      config, store,
      presence: () => askPresence(plan, nameservers, (n, t, o) => lookup(n, t, o), config.drain.lookupTimeout),
    });
    const member: Member = { name, process: proc, sidecar, store, state: 'up', status: sidecar.status };
    sidecar.on('status', (s) => { member.status = s; this.emit('status', member); });
    this.members.push(member);
    await sidecar.start();
  }

  #setProcess(m: Member, state: ProcessState): void {
    m.state = state;
    this.emit('process', m);
  }

  /** Asks for a drain through the registry, as `herald drain` does, and resolves when it ends. */
  async drain(name: string, reason: string, deadlineMs = 30_000): Promise<DrainProgress> {
    const m = this.member(name);
    const end = await drainInstance(m.store, this.domain, name, { reason, deadlineMs, by: 'herald demo' });
    if (end.outcome === 'no-sidecar' || !end.status.drain) throw new Error(`${name}: no sidecar took the drain up`);
    return end.status.drain;
  }

  /** Lifts the drain, as `herald resume` does; the sidecar re-registers once healthy. */
  async resume(name: string): Promise<void> {
    await resumeInstance(this.member(name).store, this.domain, name);
  }

  /** Graceful restart of the service process; resolves with how long it was down (ms). */
  async restart(name: string): Promise<number> {
    const m = this.member(name);
    const t0 = Date.now();
    this.#setProcess(m, 'stopping');
    await m.process.stop();
    this.#setProcess(m, 'starting');
    await m.process.start();
    this.#setProcess(m, 'up');
    return Date.now() - t0;
  }

  /** kill -9 of the service process. */
  async crash(name: string): Promise<void> {
    const m = this.member(name);
    await m.process.kill();
    this.#setProcess(m, 'crashed');
  }

  /** Starts a crashed process again, as a supervisor would. */
  async revive(name: string): Promise<void> {
    const m = this.member(name);
    this.#setProcess(m, 'starting');
    await m.process.start();
    this.#setProcess(m, 'up');
  }

  /** Stops everything it started; safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map(async (m) => {
      await m.sidecar.stop().catch(() => undefined);
      await m.store.close().catch(() => undefined);
      await m.process.stop(3000).catch(() => undefined);
    }));
    await this.#dns?.stop();
    this.#mirror?.close();
    await this.#serverStore?.close();
  }
}
