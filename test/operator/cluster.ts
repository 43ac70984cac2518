import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import { intentPath, newIntent, parseStatus, statusPath, type SidecarStatus } from '../../src/drain/index.ts';
import { reapOnExit } from '../fixtures/reap.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const DOMAIN = 'coal.joyent.us';
export const SERVICE = `web.${DOMAIN}`;

/** A `herald` child process with its output collected. */
export interface Proc {
  name: string;
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

export function herald(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  reapOnExit(child);
  const p: Proc = { name, child, stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d: Buffer) => { p.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { p.stderr += d.toString(); });
  return p;
}

export async function stop(p: Proc): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 8000);
  const code = await p.exit;
  clearTimeout(timer);
  return code;
}

/** Runs a short `herald` command to its end. */
export async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = herald(args[0] ?? '', args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  const code = await p.exit;
  clearTimeout(timer);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** Runs `herald ARGV` in this process (the same code, no process start-up), output captured. */
export async function cli(argv: string[], options: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: PassThrough & { isTTY?: boolean } = new PassThrough();
  if (options.tty) stdout.isTTY = true;
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => { out += c.toString(); });
  stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const code = await main(argv, { stdout, stderr, env: { ...process.env, ...options.env }, signal: new AbortController().signal });
  return { code, stdout: out, stderr: err };
}

interface SidecarSpec {
  instance: string;
  address: string;
  healthy: boolean;
  /** Host record TTL: the drain's TTL wait is max(this, the service TTL 1) + 0 margin. */
  ttl: number;
}

/**
 * Real ZooKeeper, two `herald serve` nameservers over it, and one `herald
 * sidecar` per instance of web.coal.joyent.us (`_http._tcp`, SRV TTL 1):
 * `ok` (healthy), `sick` (its check fails), `drn` (host TTL 60: a drain
 * sits in its TTL wait) and `dnd` (host TTL 1: a drain finishes at once).
 */
export class Cluster {
  zk!: ZooKeeper;
  store!: ZooKeeperStore;
  servers: Proc[] = [];
  /** `127.0.0.1:PORT` of each server. */
  nameservers: string[] = [];
  /** Each server's metrics URL. */
  metrics: string[] = [];
  sidecars = new Map<string, Proc>();
  sidecarMetrics = new Map<string, string>();
  dir = '';

  static async start(specs: SidecarSpec[] = DEFAULT_SIDECARS): Promise<Cluster> {
    const c = new Cluster();
    c.dir = await mkdtemp(join(tmpdir(), 'herald-operator-'));
    c.zk = await ZooKeeper.start();
    c.store = ZooKeeperStore.open({ connect: c.zk.connectString, sessionTimeoutMs: 4000 });
    await c.store.ready(10_000);
    for (let i = 0; i < 2; i++) {
      const p = herald(`serve${i}`, ['serve', '--zk', c.zk.connectString, '--domain', DOMAIN, '--listen', '127.0.0.1:0', '--threads', '1', '--metrics', '127.0.0.1:0', '--session-timeout', '4000']);
      c.servers.push(p);
    }
    for (const p of c.servers) {
      await waitFor(`${p.name} to listen`, () => /listening 127\.0\.0\.1:\d+/.test(p.stdout) && /^metrics \S+$/m.test(p.stdout), 20_000)
        .catch((err: Error) => { throw new Error(`${err.message}\n${p.stderr}`); });
      c.nameservers.push(`127.0.0.1:${/listening 127\.0\.0\.1:(\d+)/.exec(p.stdout)![1]}`);
      c.metrics.push(/^metrics (\S+)$/m.exec(p.stdout)![1]!);
    }
    await Promise.all(specs.map((s) => c.#sidecar(s)));
    return c;
  }

  async #sidecar(s: SidecarSpec): Promise<void> {
    const config = {
      registration: {
        domain: SERVICE, type: 'load_balancer', ttl: s.ttl, ports: [18080], heartbeatInterval: 1000,
        service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80, ttl: 1 } },
      },
      adminIp: s.address,
      instance: s.instance,
      healthCheck: { command: s.healthy ? 'true' : 'false', interval: 100, timeout: 2000, rise: 1, fall: 1 },
      zookeeper: { servers: [{ host: '127.0.0.1', port: this.zk.ports[0] }], timeout: 4000, connectTimeout: 4000 },
      logLevel: 'info',
      drain: { ttlMargin: 0, pollInterval: 50, lookupTimeout: 500, nameservers: this.nameservers, inFlight: 'none', deadline: 120_000 },
    };
    const file = join(this.dir, `${s.instance}.json`);
    await writeFile(file, JSON.stringify(config));
    const p = herald(`sidecar ${s.instance}`, ['sidecar', '--config', file, '--admin-socket', 'none', '--metrics', '127.0.0.1:0']);
    this.sidecars.set(s.instance, p);
    await waitFor(`sidecar ${s.instance} to start`, () => /metrics (http\S+)/.test(p.stdout) && / started/.test(p.stdout), 20_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${p.stdout}\n${p.stderr}`); });
    this.sidecarMetrics.set(s.instance, /metrics (http\S+)/.exec(p.stdout)![1]!);
  }

  async status(instance: string): Promise<SidecarStatus | undefined> {
    return parseStatus((await this.store.get(statusPath(SERVICE, instance)))?.data ?? null);
  }

  /** Waits until the instance's sidecar publishes a status that passes `ok`. */
  async waitStatus(instance: string, what: string, ok: (s: SidecarStatus) => boolean, timeoutMs = 20_000): Promise<SidecarStatus> {
    return waitFor(`${instance} ${what}`, async () => {
      const s = await this.status(instance);
      return s && ok(s) ? s : undefined;
    }, timeoutMs, 50);
  }

  /** Asks for a drain the way `herald drain` does: the intent node. */
  async drain(instance: string, reason: string): Promise<void> {
    await this.store.putPersistent(intentPath(SERVICE, instance), JSON.stringify(newIntent(reason, 120_000, 'test')));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sidecars.values()].map(stop));
    await Promise.all(this.servers.map(stop));
    await this.store?.close();
    await this.zk?.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

export const DEFAULT_SIDECARS: SidecarSpec[] = [
  { instance: 'ok', address: '10.0.0.1', healthy: true, ttl: 30 },
  { instance: 'sick', address: '10.0.0.2', healthy: false, ttl: 30 },
  { instance: 'drn', address: '10.0.0.3', healthy: true, ttl: 60 },
  { instance: 'dnd', address: '10.0.0.4', healthy: true, ttl: 1 },
];

/** Starts the cluster and brings each sidecar to its state: ok registered, sick unhealthy, drn draining (TTL wait), dnd drained. */
export async function startStates(): Promise<Cluster> {
  const c = await Cluster.start();
  try {
    for (const i of ['ok', 'drn', 'dnd']) await c.waitStatus(i, 'registered', (s) => s.state === 'registered');
    await c.waitStatus('sick', 'unhealthy', (s) => s.state === 'unhealthy');
    await c.drain('drn', 'update drn');
    await c.drain('dnd', 'update dnd');
    await c.waitStatus('drn', 'in its TTL wait', (s) => s.state === 'draining' && s.drain?.phase === 'ttl');
    await c.waitStatus('dnd', 'drained', (s) => s.state === 'drained');
  } catch (err) {
    const logs = [...c.sidecars.values()].map((p) => `--- ${p.name}\n${p.stdout}${p.stderr}`).join('\n');
    await c.stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  return c;
}
