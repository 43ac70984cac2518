// Figure: how `herald serve` grows with the registry. For 1k, 10k and 100k
// instances (in services of 10–100 members, written into a real ZooKeeper by
// a raw client as registrars would), each served by a fresh `herald serve`:
// time from start to the first full answer, RSS once synced, propagation
// p50/p99 of CHANGES changes (an instance joining or leaving one service),
// beside the same changes seen by a bare ZooKeeper client watching that
// service (the floor any mirror has, from the same run) and herald's time
// beyond it per change, and q/s under dnsperf on a mix of SRV and A
// queries. Prints the curve and the growth per 10x. Targets (DESIGN.md): at
// 100k, one change visible within 50 ms p99 and RSS under 1 GiB. Bounded:
// SCALES (default 1k,10k,100k), CHANGES changes and a QPS_SECONDS dnsperf
// run per scale.
// BENCH_TRACE_CHANGES=1 prints each change's time and when it came after
// herald's start; BENCH_SERVE_NODE_ARGS passes Node flags to herald serve
// (`--trace-gc`; BENCH_SERVE_STDOUT=1 shows its stdout); BENCH_HERALD_MAIN
// runs another checkout's herald serve.
// herald serve runs with --rrl off: dnsperf from one address is a flood by RRL's measure, and BIND here has none.
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordType } from '../src/dns/index.ts';
import { freePort } from '../test/fixtures/ports.ts';
import { reapOnExit } from '../test/fixtures/reap.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';
import { dnsperf } from './lib/dnsperf.ts';
import { percentile, UdpAsker } from './lib/udp-query.ts';
import { addressOf, hostJson, serviceJson, ZkWriter } from './lib/zk-writer.ts';

const SCALES = (process.env['SCALES'] ?? '1000,10000,100000').split(',').map(Number);
/** 200: with 40 a p99 was the slowest change, one ZooKeeper stall (a bare watcher's p99 50 ms in one run). */
const CHANGES = Number(process.env['CHANGES'] ?? 200);
const QPS_SECONDS = Number(process.env['QPS_SECONDS'] ?? 4);
const THREADS = availableParallelism();
/** BENCH_HERALD_MAIN=PATH: another checkout's src/cli/main.ts (before/after). */
const HERALD_MAIN = process.env['BENCH_HERALD_MAIN'] ?? 'src/cli/main.ts';
/** Extra Node flags for the herald serve process (e.g. `--trace-gc`, `--cpu-prof`), space-separated. */
const SERVE_NODE_ARGS = (process.env['BENCH_SERVE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);

/** A deterministic PRNG (mulberry32), so every run builds the same registry. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Service { name: string; members: number }
interface Point { instances: number; services: number; writeS: number; syncS: number; rssMb: number; p50: number; p99: number; watchP99: number; beyondP50: number; beyondP99: number; qps: number }

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function measure(zk: ZooKeeper, instances: number): Promise<Point> {
  const domain = `s${instances}.test`;
  const rand = random(instances);
  const services: Service[] = [];
  for (let left = instances; left > 0;) {
    const members = Math.min(left, 10 + Math.floor(rand() * 91));
    services.push({ name: `svc${services.length}`, members });
    left -= members;
  }
  const root = `/test/s${instances}`;
  const writer = await ZkWriter.open(zk.connectString);
  const tw = performance.now();
  await writer.mkdirp(root);
  await ZkWriter.pool(services, 64, (s) => writer.create(`${root}/${s.name}`, serviceJson('_http', 80), false));
  let n = 0;
  const hosts = services.flatMap((s) => Array.from({ length: s.members }, () => ({ path: `${root}/${s.name}/i${n}`, address: addressOf(n++) })));
  await ZkWriter.pool(hosts, 512, (h) => writer.create(h.path, hostJson(h.address, 80), true));
  const writeS = (performance.now() - tw) / 1000;
  console.error(`${instances}: ${hosts.length} instances in ${services.length} services written in ${writeS.toFixed(1)} s`);

  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'herald-scale-'));
  const last = services.at(-1)!;
  const t0 = performance.now();
  const herald = spawn(process.execPath, [...SERVE_NODE_ARGS, HERALD_MAIN, 'serve', '--zk', zk.connectString, '--domain', domain, '--listen', `127.0.0.1:${port}`, '--threads', String(THREADS), '--rrl', 'off', '--log-level', 'warn'],
    { stdio: ['ignore', process.env['BENCH_SERVE_STDOUT'] ? 'inherit' : 'ignore', 'inherit'] });
  reapOnExit(herald);
  const asker = await UdpAsker.open(port);
  try {
    // First full answer: the last instance written (its A record).
    const lastHost = `i${instances - 1}.${last.name}.${domain}`;
    for (;;) {
      const m = await asker.ask(lastHost, RecordType.A, 500);
      if (m && m.rcode === 0 && m.answers.length === 1) break;
      if (performance.now() - t0 > 300_000) throw new Error(`no full answer from herald serve at ${instances} instances in 300 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const syncS = (performance.now() - t0) / 1000;
    const rss = await rssMb(herald.pid!);

    // Propagation of one change: an instance joining, then leaving, a mid-sized service.
    const target = services[services.length >> 1]!;
    // Asked by its own name: the service's A answer is too large for 512 bytes (TC).
    const name = `probe.${target.name}.${domain}`;
    const probe = addressOf(16_000_000);
    const times: number[] = [];
    const watchTimes: number[] = [];
    let pending: { want: boolean; resolve: (at: number) => void } | undefined;
    const watch = writer.watchChildren(`${root}/${target.name}`, (children) => {
      if (pending && children.includes('probe') === pending.want) { pending.resolve(performance.now()); pending = undefined; }
    });
    for (let i = 0; i < CHANGES; i++) {
      const joining = i % 2 === 0;
      const ts = performance.now();
      const watched = new Promise<number>((resolve) => { pending = { want: joining, resolve }; });
      if (joining) await writer.create(`${root}/${target.name}/probe`, hostJson(probe, 80), true);
      else await writer.remove(`${root}/${target.name}/probe`);
      for (;;) {
        const m = await asker.ask(name, RecordType.A, 200);
        const has = !!m?.answers.some((r) => (r as { address?: string }).address === probe);
        if (m && has === joining) break;
        if (performance.now() - ts > 10_000) throw new Error(`change not visible in 10 s at ${instances} instances`);
      }
      times.push(performance.now() - ts);
      if (process.env['BENCH_TRACE_CHANGES']) console.error(`${instances}: change ${i} (${joining ? 'join' : 'leave'}) ${(performance.now() - ts).toFixed(1)} ms, ${((performance.now() - t0) / 1000).toFixed(2)} s after start`);
      const timeout = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('the bare watcher saw no change in 10 s')), 10_000).unref());
      watchTimes.push((await Promise.race([watched, timeout])) - ts);
    }
    watch.stop();
    /** Each change's time beyond the bare watcher's sight of it: herald's own part. */
    const beyond = times.map((t, i) => t - watchTimes[i]!).sort((a, b) => a - b);
    times.sort((a, b) => a - b);
    watchTimes.sort((a, b) => a - b);

    // q/s on a mix: SRV of services and A of instances, spread over the registry.
    const queries: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const s = services[Math.floor(rand() * services.length)]!;
      queries.push(i % 2 ? `_http._tcp.${s.name}.${domain} SRV` : `${s.name}.${domain} A`);
    }
    const file = join(dir, 'queries');
    await writeFile(file, queries.join('\n') + '\n');
    const { qps, lost } = await dnsperf(port, file, QPS_SECONDS);
    if (lost > 0) console.error(`${instances}: dnsperf lost ${lost} queries`);
    return { instances, services: services.length, writeS, syncS, rssMb: rss, p50: percentile(times, 50), p99: percentile(times, 99), watchP99: percentile(watchTimes, 99), beyondP50: percentile(beyond, 50), beyondP99: percentile(beyond, 99), qps };
  } finally {
    asker.close();
    herald.kill('SIGTERM');
    await new Promise((r) => herald.once('exit', r));
    writer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const zk = await ZooKeeper.start();
try {
  const points: Point[] = [];
  for (const n of SCALES) points.push(await measure(zk, n));
  console.log(`herald serve at scale (${THREADS} UDP threads; ${CHANGES} changes and a ${QPS_SECONDS} s dnsperf run per point)`);
  console.log('instances  services  zk write s  first full answer s  RSS MB  change p50 ms  change p99 ms  watch p99 ms  p99 vs watch  beyond watch p50 / p99 ms     q/s');
  for (const p of points) {
    console.log(`${String(p.instances).padStart(9)}  ${String(p.services).padStart(8)}  ${p.writeS.toFixed(1).padStart(10)}  ${p.syncS.toFixed(2).padStart(19)}  ${p.rssMb.toFixed(0).padStart(6)}  ${p.p50.toFixed(1).padStart(13)}  ${p.p99.toFixed(1).padStart(13)}  ${p.watchP99.toFixed(1).padStart(12)}  ${(p.p99 / p.watchP99).toFixed(1).padStart(11)}x  ${`${p.beyondP50.toFixed(1)} / ${p.beyondP99.toFixed(1)}`.padStart(24)}  ${p.qps.toFixed(0).padStart(7)}`);
  }
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    const per10 = (x: number, y: number) => (y / x) ** (1 / Math.log10(b.instances / a.instances));
    console.log(`growth per 10x, ${a.instances} -> ${b.instances}: first answer ${per10(a.syncS, b.syncS).toFixed(2)}x, RSS ${per10(a.rssMb, b.rssMb).toFixed(2)}x, change p99 ${per10(a.p99, b.p99).toFixed(2)}x, q/s ${per10(a.qps, b.qps).toFixed(2)}x`);
  }
  const top = points.at(-1)!;
  console.log(`at ${top.instances}: change p99 ${top.p99.toFixed(1)} ms (target <= 50 ms), RSS ${top.rssMb.toFixed(0)} MB (target < 1024 MB)`);
} finally {
  await zk.stop();
}
