// Whole-system harness: real ZooKeeper, `herald serve` and `herald sidecar`
// processes, demo service instances and a client process, all on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { InstanceProcess } from '../../src/demo/instance-process.ts';
import type { LoadStats } from '../../src/demo/load-loop.ts';
import { lookup } from '../../src/resolver/lookup.ts';
import { reapOnExit } from '../fixtures/reap.ts';
import { waitFor } from '../fixtures/wait.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CLIENT = fileURLToPath(new URL('./client-program.ts', import.meta.url));
const KEEP_OUTPUT = 64 * 1024;

/** A child process whose output is kept (the tail) for assertions and failure messages. */
export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exit: Promise<number | null>;

  constructor(args: string[], options: { stdin?: boolean } = {}) {
    this.child = spawn(process.execPath, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    reapOnExit(this.child);
    this.exit = new Promise((resolve) => this.child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : null))));
    this.child.stdout!.on('data', (d: Buffer) => { this.stdout = (this.stdout + d.toString()).slice(-KEEP_OUTPUT); });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-KEEP_OUTPUT); });
  }

  get running(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }

  async waitOutput(pattern: RegExp, timeoutMs = 15_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpExecArray> {
    try {
      return await waitFor(`${pattern}`, () => {
        if (!this.running) throw new Error('process exited');
        return pattern.exec(this[stream]);
      }, timeoutMs, 20);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`);
    }
  }

  /** SIGTERM (or `sig`), then SIGKILL after `timeoutMs`. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 8000): Promise<number | null> {
    if (this.running) this.child.kill(sig);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }
}

export function herald(args: string[]): Proc {
  return new Proc([MAIN, ...args]);
}

/** Runs one herald command to its end. */
export async function heraldRun(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = herald(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exit;
  clearTimeout(timer);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/**
 * One `herald serve` process, over ZooKeeper (`zk` a connect string) or its
 * own in-memory registry (`zk` undefined: `--registry memory`, with
 * `registryUrl` the memory:// address sidecars use); restarts on the port it
 * first got.
 */
export class ServeProcess {
  proc: Proc | undefined;
  port = 0;
  registryUrl: string | undefined;
  readonly #zk: string | undefined;
  readonly #zone: string;
  readonly #sessionTimeoutMs: number;

  constructor(zk: string | undefined, zone: string, sessionTimeoutMs: number) {
    this.#zk = zk;
    this.#zone = zone;
    this.#sessionTimeoutMs = sessionTimeoutMs;
  }

  get nameserver(): string { return `127.0.0.1:${this.port}`; }

  async start(): Promise<void> {
    const registry = this.#zk === undefined ? ['--registry', 'memory', '--registry-listen', '127.0.0.1:0'] : ['--zk', this.#zk, '--session-timeout', String(this.#sessionTimeoutMs)];
    this.proc = herald(['serve', ...registry, '--domain', this.#zone, '--listen', `127.0.0.1:${this.port}`, '--threads', '1']);
    const m = await this.proc.waitOutput(/listening 127\.0\.0\.1:(\d+)/);
    this.port = Number(m[1]);
    if (this.#zk === undefined) this.registryUrl = (await this.proc.waitOutput(/registry (memory:\/\/\S+)/))[1];
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }
}

export interface InstanceOptions {
  name: string;
  domain: string;
  /** ZooKeeper (servers written in the config), or a connect string given with --zk (memory://). */
  zk: ZooKeeper | string;
  nameservers: () => string[];
  ttl: number;
  sessionTimeoutMs: number;
  dir: string;
}

/** One instance: a demo service process and its `herald sidecar` process. */
export class Instance {
  readonly name: string;
  readonly service: InstanceProcess;
  sidecar: Proc | undefined;
  readonly idsFile: string;
  readonly #o: InstanceOptions;

  constructor(o: InstanceOptions) {
    this.name = o.name;
    this.#o = o;
    this.idsFile = join(o.dir, `${o.name}.ids`);
    this.service = new InstanceProcess({ name: o.name, idsFile: this.idsFile, workMs: 2 });
  }

  get port(): number { return this.service.port; }

  /** The SRV target the instance is served as. */
  get target(): string { return `${this.name}.${this.#o.domain}`; }

  async startService(): Promise<void> {
    await this.service.start();
  }

  async startSidecar(): Promise<void> {
    const o = this.#o;
    const config = {
      instance: o.name, adminIp: '127.0.0.1', logLevel: 'info',
      registration: {
        domain: o.domain, type: 'load_balancer', ttl: o.ttl, ports: [this.port], heartbeatInterval: 1000,
        service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80, ttl: o.ttl } },
      },
      healthCheck: { http: `http://127.0.0.1:${this.port}/health`, interval: 250, timeout: 500, rise: 1, fall: 2 },
      ...(typeof o.zk === 'string' ? {} : { zookeeper: { servers: o.zk.ports.map((port) => ({ host: '127.0.0.1', port })), timeout: o.sessionTimeoutMs, connectTimeout: 2000 } }),
      drain: { deadline: 20_000, signalDeadline: 1000, ttlMargin: 500, pollInterval: 100, lookupTimeout: 500, nameservers: o.nameservers() },
    };
    const path = join(o.dir, `${o.name}.json`);
    await writeFile(path, JSON.stringify(config, null, 2));
    this.sidecar = herald(['sidecar', '--config', path, '--admin-socket', 'none', ...(typeof o.zk === 'string' ? ['--zk', o.zk] : [])]);
    await this.sidecar.waitOutput(/sidecar \S+ started/);
  }

  async start(): Promise<void> {
    await this.startService();
    await this.startSidecar();
  }

  /** Graceful: the sidecar leaves DNS (SIGTERM) while the service finishes what it has. */
  async stop(): Promise<void> {
    await Promise.all([this.sidecar?.stop(), this.service.stop(5000)]);
  }

  /** The whole instance crashes: kill -9 of the service and its sidecar. */
  async kill9(): Promise<void> {
    await Promise.all([this.sidecar?.stop('SIGKILL'), this.service.kill()]);
  }

  /** Request ids this instance served: earlier processes' (from the file) and the live one's. */
  async servedIds(): Promise<string[]> {
    const file = await readFile(this.idsFile, 'utf8').catch(() => '');
    const ids = file.split('\n').filter(Boolean);
    if (this.service.running) {
      const res = await request(`http://127.0.0.1:${this.port}/_served`);
      ids.push(...((await res.body.json()) as { ids: string[] }).ids);
    }
    return ids;
  }
}

type ClientEvent =
  | { ev: 'backends'; at: number; ports: number[]; stale: boolean }
  | { ev: 'failure'; at: number; id: string; code: string; message: string }
  | { ev: 'stats'; at: number; sent: number; ok: number; failed: number; inFlight: number; byInstance: Record<string, number>; retries: number }
  | { ev: 'done'; at: number; stats: LoadStats }
  | { ev: 'started'; at: number };

/** The client process (client-program.ts): Resolver + BalancedAgent + steady load. */
export class Client {
  readonly proc: Proc;
  ports: number[] = [];
  readonly history: { at: number; ports: number[] }[] = [];
  readonly failures: Extract<ClientEvent, { ev: 'failure' }>[] = [];
  stats: Extract<ClientEvent, { ev: 'stats' }> | undefined;
  done: LoadStats | undefined;
  #buffer = '';

  /** Every stats report, when `keepStats` (benches read the times of the last retries). */
  readonly statsHistory: Extract<ClientEvent, { ev: 'stats' }>[] = [];
  readonly #keepStats: boolean;

  constructor(domain: string, nameservers: string[], rps: number, options: { tickMs?: number; keepStats?: boolean } = {}) {
    this.#keepStats = options.keepStats ?? false;
    this.proc = new Proc([CLIENT, '--domain', domain, '--nameservers', nameservers.join(','), '--rps', String(rps), '--tick-ms', String(options.tickMs ?? 200)], { stdin: true });
    this.proc.child.stdout!.on('data', (d: Buffer) => {
      this.#buffer += d.toString();
      let nl;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        this.#on(JSON.parse(line) as ClientEvent);
      }
    });
  }

  #on(e: ClientEvent): void {
    if (e.ev === 'backends') {
      this.ports = e.ports;
      this.history.push({ at: e.at, ports: e.ports });
    } else if (e.ev === 'failure') this.failures.push(e);
    else if (e.ev === 'stats') {
      this.stats = e;
      if (this.#keepStats) this.statsHistory.push(e);
    }
    else if (e.ev === 'done') this.done = e.stats;
  }

  has(port: number): boolean { return this.ports.includes(port); }

  setRps(rps: number): void { this.proc.child.stdin!.write(`rps ${rps}\n`); }

  /** Waits until the client has answered `more` requests beyond now. */
  async answered(more: number, timeoutMs = 15_000): Promise<void> {
    const from = this.stats?.ok ?? 0;
    await waitFor(`${more} more answers`, () => (this.stats?.ok ?? 0) >= from + more, timeoutMs, 20);
  }

  async stop(): Promise<LoadStats> {
    if (this.proc.running) this.proc.child.stdin!.write('stop\n');
    await waitFor('the client to finish', () => this.done !== undefined || !this.proc.running, 20_000, 20);
    await this.proc.stop('SIGTERM', 5000);
    if (!this.done) throw new Error(`client ended without a summary: ${this.proc.stderr.slice(-2000)}`);
    return this.done;
  }
}

/** The SRV targets one nameserver gives now; undefined when it does not answer NOERROR. */
export async function srvTargets(nameserver: string, name: string): Promise<string[] | undefined> {
  try {
    const r = await lookup(name, 'SRV', { nameservers: [nameserver], timeoutMs: 300, tries: 1 });
    if (r.status !== 'NOERROR') return undefined;
    return r.answers.flatMap((a) => ('target' in a ? [String(a.target).replace(/\.$/, '').toLowerCase()] : [])).sort();
  } catch {
    return undefined;
  }
}

export interface ClusterOptions {
  zkServers?: number;
  instances?: number;
  rps?: number;
  ttl?: number;
  sessionTimeoutMs?: number;
  serves?: number;
  /** Client stats every this many ms, all kept (benches). */
  clientTickMs?: number;
  /** `memory`: no ZooKeeper; one `herald serve --registry memory`, sidecars over memory://. */
  registry?: 'zookeeper' | 'memory';
  /** Start the nameservers and instances one at a time (gentler on a loaded machine) instead of all at once. */
  oneByOne?: boolean;
}

/** ZooKeeper, the nameservers, the instances and the client, started in that order. */
export class Cluster {
  readonly zone = 'e2e.test';
  readonly domain = `web.${this.zone}`;
  readonly srvName = `_http._tcp.web.${this.zone}`;
  /** Absent with `registry: 'memory'`. */
  zk!: ZooKeeper;
  readonly serves: ServeProcess[] = [];
  readonly instances: Instance[] = [];
  client: Client | undefined;
  dir = '';
  ttl = 2;
  sessionTimeoutMs = 3000;

  static async start(o: ClusterOptions = {}): Promise<Cluster> {
    const c = new Cluster();
    c.ttl = o.ttl ?? 2;
    c.sessionTimeoutMs = o.sessionTimeoutMs ?? 3000;
    try {
      c.dir = await mkdtemp(join(tmpdir(), 'herald-e2e-'));
      if (o.registry === 'memory') {
        c.serves.push(new ServeProcess(undefined, c.zone, c.sessionTimeoutMs));
      } else {
        c.zk = await ZooKeeper.start({ servers: o.zkServers ?? 1 });
        for (let i = 0; i < (o.serves ?? 2); i++) c.serves.push(new ServeProcess(c.zk.connectString, c.zone, c.sessionTimeoutMs));
      }
      if (o.oneByOne) for (const s of c.serves) await s.start();
      else await Promise.all(c.serves.map((s) => s.start()));
      const registry = o.registry === 'memory' ? c.serves[0]!.registryUrl! : c.zk;
      for (let i = 1; i <= (o.instances ?? 3); i++) {
        c.instances.push(new Instance({ name: `web-${i}`, domain: c.domain, zk: registry, nameservers: () => c.nameservers, ttl: c.ttl, sessionTimeoutMs: c.sessionTimeoutMs, dir: c.dir }));
      }
      if (o.oneByOne) for (const i of c.instances) await i.start();
      else await Promise.all(c.instances.map((i) => i.start()));
      await c.waitInDns(c.instances);
      c.client = new Client(c.domain, c.nameservers, o.rps ?? 300, o.clientTickMs ? { tickMs: o.clientTickMs, keepStats: true } : {});
      await c.waitInRotation(c.instances);
      await c.client.answered(100);
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  get nameservers(): string[] { return this.serves.map((s) => s.nameserver); }

  /** What `herald drain/resume --zk` take: ZooKeeper's connect string, or the memory:// registry. */
  get connectString(): string {
    return this.zk ? this.zk.connectString : this.serves[0]!.registryUrl!;
  }

  instance(name: string): Instance {
    const i = this.instances.find((x) => x.name === name);
    if (!i) throw new Error(`no ${name}`);
    return i;
  }

  /** Every running nameserver serves exactly these instances (no more, no duplicates). */
  async waitInDns(list: Instance[], timeoutMs = 15_000): Promise<void> {
    const want = list.map((i) => i.target).sort();
    await waitFor(`${want.join(',') || 'nothing'} in DNS`, async () => {
      const all = await Promise.all(this.serves.filter((s) => s.proc?.running).map((s) => srvTargets(s.nameserver, this.srvName)));
      return all.every((t) => JSON.stringify(t) === JSON.stringify(want));
    }, timeoutMs, 25);
  }

  async waitOutOfDns(instance: Instance, timeoutMs = 15_000): Promise<void> {
    await waitFor(`${instance.name} out of DNS`, async () => {
      const all = await Promise.all(this.serves.filter((s) => s.proc?.running).map((s) => srvTargets(s.nameserver, this.srvName)));
      return all.every((t) => t !== undefined && !t.includes(instance.target));
    }, timeoutMs, 25);
  }

  async waitInRotation(list: Instance[], timeoutMs = 15_000): Promise<void> {
    await waitFor(`${list.map((i) => i.name).join(',')} in the client's rotation`, () => list.every((i) => this.client?.has(i.port)), timeoutMs, 20);
  }

  drain(instance: Instance, timeoutS = 20): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return heraldRun(['drain', '--zk', this.connectString, this.domain, instance.name, '--timeout', String(timeoutS), '--reason', 'e2e update', '--json'], (timeoutS + 15) * 1000);
  }

  resume(instance: Instance): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return heraldRun(['resume', '--zk', this.connectString, this.domain, instance.name], 20_000);
  }

  async stop(): Promise<void> {
    await this.client?.proc.stop('SIGTERM', 3000);
    await Promise.all(this.instances.map((i) => i.stop().catch(() => undefined)));
    await Promise.all(this.serves.map((s) => s.stop()));
    await this.zk?.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
