// Figures: the sidecar's way out of DNS and back in.
//  1. SIGTERM → gone from DNS: a real `herald sidecar` process is sent
//     SIGTERM; timed until `herald serve` no longer lists it (polled every
//     5 ms). Anchor in the same run: SIGKILL of the same sidecar, which
//     leaves the node for the ZooKeeper session timeout — what registrar
//     does on every stop (it has no SIGTERM handler): 39.5 s measured with
//     its production config (BINDER.md §5), 4 s session timeout here.
//  2. `herald drain` phase by phase (TTL 2 s, one keep-alive client closed
//     after 1 s), beside the floor (longest TTL + margin) and registrar's ~40 s.
//  3. registration → visible: Registration.set(true) resolved (nodes
//     written) → the SRV answer lists the instance; p50/p99 of 50, target
//     ≤ 50 ms p99 (binder ~10 ms).
// Bounded: a few sidecar starts and 50 flips, well under 60 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, Agent } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZooKeeperStore } from '../src/registry/index.ts';
import { lookup } from '../src/resolver/index.ts';
import { Registration } from '../src/sidecar/registration.ts';
import { waitFor } from '../test/fixtures/wait.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';

const children: ChildProcess[] = [];

const D = 'coal.joyent.us';
const SRV = `_http._tcp.web.${D}`;
const SESSION_MS = 4000;
const REGISTRAR_S = 39.5;

// Never outlive the budget, whatever hangs: children are killed on the way out.
const watchdog = setTimeout(() => {
  console.error('sidecar-drain: over 90 s, giving up');
  for (const c of children) c.kill('SIGKILL');
  void Promise.allSettled([zk.stop(), rm(dir, { recursive: true, force: true })]).finally(() => process.exit(1));
}, 90_000);
watchdog.unref();
const step = (what: string) => { if (process.env['BENCH_DEBUG']) console.error(`[${(performance.now() / 1000).toFixed(1)} s] ${what}`); };
const zk = await ZooKeeper.start();
step('zookeeper up');
const dir = await mkdtemp(join(tmpdir(), 'herald-bench-sidecar-'));
function herald(args: string[]): ChildProcess & { out: string } {
  const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', process.env['BENCH_DEBUG'] ? 'inherit' : 'ignore'] }) as ChildProcess & { out: string };
  child.out = '';
  child.stdout!.on('data', (d: Buffer) => { child.out += d.toString(); });
  children.push(child);
  return child;
}
const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

try {
  const serve = herald(['serve', '--zk', zk.connectString, '--domain', D, '--listen', '127.0.0.1:0', '--threads', '1']);
  await waitFor('herald serve', () => /listening 127\.0\.0\.1:(\d+)/.test(serve.out), 20_000);
  step('serve up');
  const ns = `127.0.0.1:${/listening 127\.0\.0\.1:(\d+)/.exec(serve.out)![1]}`;
  const listed = async (instance: string): Promise<boolean> => {
    const r = await lookup(SRV, 'SRV', { nameservers: [ns], timeoutMs: 200, tries: 1 }).catch(() => undefined);
    return r !== undefined && r.answers.some((a) => 'target' in a && a.target.startsWith(`${instance}.`));
  };
  const app = createServer((req, res) => res.end('ok'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const appPort = (app.address() as { port: number }).port;
  const config = (instance: string) => ({
    registration: { domain: `web.${D}`, type: 'load_balancer', ttl: 2, ports: [appPort], service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: appPort, ttl: 2 } } },
    adminIp: '127.0.0.1', instance,
    drain: { nameservers: [ns], ttlMargin: 250, pollInterval: 50, signalDeadline: 200 },
    zookeeper: { servers: [{ host: '127.0.0.1', port: zk.ports[0] }], timeout: SESSION_MS },
    logLevel: 'warn',
  });
  async function startSidecar(instance: string): Promise<ChildProcess> {
    const file = join(dir, `${instance}.json`);
    await writeFile(file, JSON.stringify(config(instance)));
    const child = herald(['sidecar', '--config', file, '--admin-socket', 'none']);
    await waitFor(`${instance} in DNS`, () => listed(instance), 20_000, 10);
    step(`${instance} in DNS`);
    return child;
  }
  async function goneAfter(instance: string, child: ChildProcess, signal: NodeJS.Signals): Promise<number> {
    const t0 = performance.now();
    child.kill(signal);
    await waitFor(`${instance} gone`, async () => !(await listed(instance)), 30_000, 5);
    step(`${instance} gone`);
    const ms = performance.now() - t0;
    await exited(child);
    return ms;
  }

  // 1. SIGTERM vs SIGKILL (= the session timeout, registrar's way).
  const term: number[] = [];
  for (let i = 0; i < 5; i++) term.push(await goneAfter(`t${i}`, await startSidecar(`t${i}`), 'SIGTERM'));
  const kill = await goneAfter('k0', await startSidecar('k0'), 'SIGKILL');
  term.sort((a, b) => a - b);
  console.log(`sidecar SIGTERM → gone from DNS: median ${term[2]!.toFixed(0)} ms, max ${term[4]!.toFixed(0)} ms (5 runs; target ≤ 1000 ms)`);
  console.log(`  anchor, same run: SIGKILL → gone ${(kill / 1000).toFixed(1)} s (session timeout ${SESSION_MS / 1000} s) → ${(kill / term[2]!).toFixed(0)}× faster`);
  console.log(`  registrar (no SIGTERM handler, production session): ${REGISTRAR_S} s measured → ${((REGISTRAR_S * 1000) / term[2]!).toFixed(0)}× faster`);

  // 2. A drain, phase by phase.
  const sidecar = await startSidecar('d0');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  await new Promise<void>((resolve) => request({ host: '127.0.0.1', port: appPort, agent }, (res) => { res.resume(); res.on('end', resolve); }).end());
  const t0 = performance.now();
  const drain = herald(['drain', '--zk', zk.connectString, `web.${D}`, 'd0', '--timeout', '20']);
  await waitFor('the in-flight phase', () => /client caches expired/.test(drain.out), 20_000, 10);
  setTimeout(() => agent.destroy(), 1000);
  const code = await exited(drain);
  const total = performance.now() - t0;
  console.log(`herald drain (exit ${code}) in ${(total / 1000).toFixed(2)} s; floor: longest TTL 2 s + margin 0.25 s; registrar + sdcadm: ~${REGISTRAR_S} s + polling`);
  for (const line of drain.out.trim().split('\n')) console.log(`  ${line}`);
  sidecar.kill('SIGTERM');
  await exited(sidecar);

  // 3. Registration → visible, through the sidecar's Registration.
  const store = ZooKeeperStore.open({ connect: zk.connectString });
  await store.ready(10_000);
  const host = `{"type":"load_balancer","address":"127.0.0.1","ttl":2,"load_balancer":{"address":"127.0.0.1","ports":[${appPort}]}}`;
  const reg = new Registration(store, { ephemeral: [{ path: `/us/joyent/coal/web/r0`, data: host }] });
  reg.start();
  const visible: number[] = [];
  for (let i = 0; i < 50; i++) {
    await reg.set(true);
    const t1 = performance.now();
    await waitFor('visible', () => listed('r0'), 5000, 1);
    visible.push(performance.now() - t1);
    await reg.set(false);
    await waitFor('gone', async () => !(await listed('r0')), 5000, 1);
  }
  visible.sort((a, b) => a - b);
  const p = (q: number) => visible[Math.min(visible.length - 1, Math.floor(q * visible.length))]!;
  console.log(`registration → visible in DNS: p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms (50 flips; target ≤ 50 ms p99; binder ~10 ms → ${(p(0.99) / 10).toFixed(1)}× binder)`);
  await reg.close();
  await store.close();
  app.close();
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await zk.stop();
  await rm(dir, { recursive: true, force: true });
}
