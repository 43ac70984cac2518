// Figure: a DNS server whose registry changes all the time. At 10, 100 and
// 1000 changes/s (instances registering and leaving 3 services of 30),
// `herald serve` fed by a real ZooKeeper (a raw client writing as registrars
// do) against BIND fed the same changes by RFC 2136 dynamic update (one
// long-lived `nsupdate`, one UPDATE message per change): q/s and average
// latency under dnsperf while the changes run, each against an idle run of
// the same server made just before it, and propagation p50/p99 of a probe
// change (write issued → answer changed) made every PROBE_MS (every 20 ms at 1000/s, see probeMsAt) under that
// churn and query load, beside when a bare ZooKeeper watcher of the probe's
// service (its own session, a child watch re-armed at every event) saw the
// same change: ZooKeeper's commit and notification, the floor any server
// fed by it has, and herald's time beyond it. The rate
// each writer really reached is printed too. Targets (DESIGN.md): at
// 1000 changes/s herald q/s >= 0.9x idle and propagation p99 <= 50 ms.
// ZooKeeper and the writer run on the cores herald and dnsperf share, so
// herald's rounds have a control between the idle run and the churn: the
// same churn written outside herald's domain (herald follows none of it),
// whose q/s is what the machine leaves herald when the churn costs herald
// nothing; herald's churn q/s over the control's is what following costs.
// Every round also prints where the 2 cores went (the server's processes,
// ZooKeeper, the writers, dnsperf; herald's by thread), and each rate is
// run once more without queries: the server's CPU per change, what
// following the registry costs it, which the machine's load moves far
// less than q/s. Each server first gets WARM_S seconds of churn at the top
// rate, not measured (see WARM_S). CLIENTS sets dnsperf's -c (16); BENCH_HERALD_MAIN runs
// another checkout's herald; BENCH_SERVE_NODE_ARGS passes Node flags.
// QUIET=1 runs only herald's rounds without queries (no dnsperf, no BIND),
// and with BENCH_HERALD_MAIN_B a second checkout's herald beside the first
// on the same changes, both probed: a before/after A/B of CPU per change
// and propagation that the machine's load moves alike for both (run it in
// both orders: each herald costs the other some ZooKeeper time).
// Bounded: WARM_S, then 3 x SECONDS per rate per server (idle, churn, churn without queries).
// herald serve runs with --rrl off: dnsperf from one address is a flood by RRL's measure, and BIND here has none.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordType } from '../src/dns/index.ts';
import { Bind } from '../test/fixtures/bind.ts';
import { freePort } from '../test/fixtures/ports.ts';
import { reapOnExit } from '../test/fixtures/reap.ts';
import { waitFor } from '../test/fixtures/wait.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';
import { dnsperf, type DnsperfResult } from './lib/dnsperf.ts';
import { cpuSeconds, threadCpuSeconds, totalCpuSeconds, udpPortPids } from './lib/proc-cpu.ts';
import { percentile, UdpAsker } from './lib/udp-query.ts';
import { addressOf, hostJson, serviceJson, ZkWriter } from './lib/zk-writer.ts';

const RATES = (process.env['RATES'] ?? '10,100,1000').split(',').map(Number);
const SECONDS = Number(process.env['SECONDS'] ?? 5);
/**
 * Seconds of churn at the top rate, with queries, that each server gets
 * before the rounds, not measured: herald's churn path (the mirror, the
 * zone update, the misses) is compiled by V8 only once it is hot, which at
 * these rates takes seconds, and a server under churn is measured as it
 * runs for days, not in its first seconds. Without it the 1000/s round was
 * herald's first at that rate: V8 compiled in it, its helper threads taking
 * 0.17 cores there against 0.08 after 15 s of the same churn (--trace-opt:
 * 100-350 ms of compiling a second in its first 3 s). BIND, compiled
 * ahead of time, gets the same warm-up.
 */
const WARM_S = Number(process.env['WARM_S'] ?? 5);
const PROBE_MS = Number(process.env['PROBE_MS'] ?? 100);
/**
 * The probe's interval at `rate`: PROBE_MS, or shorter at high rates, up to
 * one probe change in 20 of the churn's. A round of SECONDS at 100 ms holds
 * ~48 probes, whose p99 is simply the slowest; at 1000/s every 20 ms it
 * holds ~200, and the p99 the target is judged by is a percentile.
 */
const probeMsAt = (rate: number): number => Math.min(PROBE_MS, 20_000 / Math.max(rate, 1));
const DOMAIN = 'coal.joyent.us';
const SERVICES = 3;
const MEMBERS = 30;
/**
 * Instances beyond the base registered at once: the churn registers POOL
 * instances, then alternates the oldest one leaving with a new one joining,
 * so each instance is served for about 2 x POOL changes (40 ms at 1000/s,
 * 4 s at 10/s) before it leaves, and every change is one the zone shows.
 */
const POOL = 20;
/**
 * Changes written and not yet acknowledged, at most: registrars write
 * independently, so the feed does not wait for one change before the next
 * (one at a time the writer's own round trip capped the rate, at 625/s on a
 * quiet machine). Each server acknowledges them in order.
 */
const IN_FLIGHT = 32;
const THREADS = availableParallelism();
/** BENCH_HERALD_MAIN=PATH: another checkout's src/cli/main.ts (before/after). */
const HERALD_MAIN = process.env['BENCH_HERALD_MAIN'] ?? 'src/cli/main.ts';
/** BENCH_HERALD_MAIN_B=PATH (with QUIET=1): a second herald run beside the first on the same changes, its CPU per change printed too. */
const HERALD_MAIN_B = process.env['BENCH_HERALD_MAIN_B'];
/** Extra Node flags for the herald serve process (e.g. `--cpu-prof`), space-separated. */
/**
 * dnsperf source ports (-c). The kernel pins each to one of the answering
 * threads' SO_REUSEPORT sockets, so with 16 one thread may get twice the
 * other's share in one run and not the next; more ports spread them evenly.
 */
const CLIENTS = Number(process.env['CLIENTS'] ?? 16);
const SERVE_NODE_ARGS = (process.env['BENCH_SERVE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
/**
 * QUIET=1: only herald's rounds without queries (its CPU per change), no
 * dnsperf and no BIND: the figure to A/B (with BENCH_HERALD_MAIN) in
 * interleaved runs, a fraction of the full bench's time.
 */
const QUIET_ONLY = process.env['QUIET'] === '1';

/** Writes changes to one server's registry: an instance `i` of service `s` joins or leaves. */
interface Feed {
  change(s: number, i: number, join: boolean): Promise<void>;
  close(): Promise<void>;
  /** Processes of its own doing the writing (nsupdate), beside this one. */
  pids: number[];
}

/**
 * Where the 2 cores went during a run, in cores (CPU seconds over the run's
 * wall seconds): the server's processes, its registry's (ZooKeeper; BIND is
 * its own), the writers (this bench process, which writes the churn and the
 * probe, plus nsupdate), and dnsperf. Only the server's is what the server
 * costs; the others compete with it for the same cores.
 */
interface Cores { server: number; registry: number; writer: number; dnsperf: number; threads: Map<string, number> }

/** Whose CPU a run is charged to: the server's processes and its registry's. */
interface Charged { server: number[]; registry: number[]; writer: number[] }

/** The probe as a bare ZooKeeper watcher saw it (ZooKeeper's commit and notification: the floor of any server's propagation), and herald's time beyond it. */
function bareCols(r: { bare?: Percentiles; own?: Percentiles }): string {
  if (!r.bare || !r.own) return '';
  return `; bare watcher p50 ${r.bare.p50.toFixed(1)} p99 ${r.bare.p99.toFixed(1)} ms, herald beyond it p50 ${r.own.p50.toFixed(1)} p99 ${r.own.p99.toFixed(1)} ms`;
}

/** herald's threads' cores: a thread busier than the others is where dnsperf's queries wait (SO_REUSEPORT pins each of its source ports to one socket). */
function threadCols(c: Cores): string {
  const of = (name: string) => [...c.threads].filter(([k]) => k.startsWith(`${name}/`)).map(([, v]) => v);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return `main ${sum(of('MainThread')).toFixed(2)}, UDP workers ${of('WorkerThread').map((v) => v.toFixed(2)).join(' / ')}, V8 helpers ${sum(of('V8Worker')).toFixed(2)}`;
}

async function measured<T extends { cores: number }>(charged: Charged, run: () => Promise<T>): Promise<{ result: T; cores: Cores }> {
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const [server0, registry0, writer0, threads0] = await Promise.all([totalCpuSeconds(charged.server), totalCpuSeconds(charged.registry), totalCpuSeconds(charged.writer), threadCpuSeconds(charged.server[0]!)]);
  const result = await run();
  const [server1, registry1, writer1, threads1] = await Promise.all([totalCpuSeconds(charged.server), totalCpuSeconds(charged.registry), totalCpuSeconds(charged.writer), threadCpuSeconds(charged.server[0]!)]);
  const self = process.cpuUsage(self0);
  const wall = (performance.now() - t0) / 1000;
  const threads = new Map([...threads1].map(([name, s]) => [name, (s - (threads0.get(name) ?? 0)) / wall]));
  return { result, cores: { server: (server1 - server0) / wall, registry: (registry1 - registry0) / wall, writer: ((writer1 - writer0) + (self.user + self.system) / 1e6) / wall, dnsperf: result.cores, threads } };
}

/** The served domain's subtree, and one beside it that herald does not follow (the control round's churn). */
const SERVED_ROOT = '/us/joyent/coal';
const ELSEWHERE_ROOT = '/us/joyent/elsewhere';

function zkFeed(writer: ZkWriter, root = SERVED_ROOT): Feed {
  return {
    change: (s, i, join) => (join ? writer.create(`${root}/svc${s}/i${i}`, hostJson(addressOf(i), 80), true) : writer.remove(`${root}/svc${s}/i${i}`)),
    async close() {},
    pids: [],
  };
}

/** How long an UPDATE may go unanswered, resent or not, before the run fails. */
const NSUPDATE_MS = 30_000;
/** Sends of one UPDATE, the first included, before the run fails. */
const NSUPDATE_TRIES = 20;
/** UPDATEs that had to be sent again, over the whole run (printed at the end). */
let nsupdateResent = 0;

/**
 * One nsupdate process; each change is one UPDATE message, acknowledged in
 * order. nsupdate runs its commands one after another, so the sends not
 * yet acknowledged are answered, or fail, in the order they were written.
 * An UPDATE whose TCP connection is closed unanswered (nsupdate:
 * "Communication with ... failed: end of file", and it prints no answer)
 * is sent again after a pause, behind those written since, and the run
 * fails only if one stays unanswered. The one cause seen, BIND's control
 * channel on its DNS port taking part of the connections, is gone
 * (test/fixtures/ports.ts); the bench prints how many were sent again.
 */
function nsupdateFeed(port: number): Feed {
  const child: ChildProcess = spawn('nsupdate', ['-v'], { stdio: ['pipe', 'pipe', 'pipe'] });
  reapOnExit(child);
  interface Sent { lines: string; tries: number; done: () => void; fail: (err: Error) => void }
  const sent: Sent[] = [];
  let out = '';
  // nsupdate prints nothing per successful send; a trailing `answer` after each send tells it was answered.
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let at;
    while ((at = out.indexOf(';; ->>HEADER<<-')) >= 0) { out = out.slice(at + 15); sent.shift()?.done(); }
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    let nl;
    while ((nl = err.indexOf('\n')) >= 0) {
      const line = err.slice(0, nl);
      err = err.slice(nl + 1);
      if (!/^; Communication with .* failed/.test(line)) { process.stderr.write(`nsupdate: ${line}\n`); continue; }
      const failed = sent.shift();
      if (!failed) continue;
      if (++failed.tries >= NSUPDATE_TRIES) { failed.fail(new Error(`nsupdate: an UPDATE failed ${failed.tries} times, the last: ${line}`)); continue; }
      nsupdateResent++;
      // After a pause that grows with each try: such failures come in runs, and a resend at once failed too.
      setTimeout(() => { if (child.stdin!.writableEnded) return; sent.push(failed); child.stdin!.write(failed.lines); }, 50 * failed.tries);
    }
  });
  child.stdin!.write(`server 127.0.0.1 ${port}\nzone ${DOMAIN}\n`);
  return {
    change(s, i, join) {
      const name = `i${i}.svc${s}.${DOMAIN}`;
      const srv = `_http._tcp.svc${s}.${DOMAIN}`;
      const lines = join
        ? `update add ${name} 30 A ${addressOf(i)}\nupdate add ${srv} 60 SRV 0 10 80 ${name}\nsend\nanswer\n`
        : `update delete ${name} A\nupdate delete ${srv} SRV 0 10 80 ${name}\nsend\nanswer\n`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`nsupdate: no answer to an UPDATE in ${NSUPDATE_MS} ms`)), NSUPDATE_MS);
        sent.push({ lines, tries: 0, done: () => { clearTimeout(timer); resolve(); }, fail: (e) => { clearTimeout(timer); reject(e); } });
        child.stdin!.write(lines);
      });
    },
    async close() { child.stdin!.end('quit\n'); await new Promise((r) => child.once('exit', r)); },
    pids: [child.pid!],
  };
}

interface Percentiles { p50: number; p99: number }
/** `bare`: when a bare ZooKeeper watcher saw each probe change; `own`: how long after it herald answered it (its own part of the propagation). */
interface Round { rate: number; reached: number; load: DnsperfResult; p50: number; p99: number; probes: number; probesPerS: number; cores: Cores; b?: Percentiles; bare?: Percentiles; own?: Percentiles }

/** What a churn round runs besides the churn: dnsperf (`queries`), a second herald probed on `portB`, a bare watcher of the probe's service; for how long (SECONDS). */
interface RoundOptions { queries?: boolean; portB?: number | undefined; watcher?: ZkWriter; seconds?: number }

/** Whether an answer shows the probe instance: records (not herald's REFUSED nor BIND's NXDOMAIN for a name not held). */
function probePresent(m: NonNullable<Awaited<ReturnType<UdpAsker['ask']>>>): boolean {
  return m.rcode === 0 && m.answers.length > 0;
}

/**
 * Runs churn at `rate` changes/s (instances beyond the base MEMBERS of each
 * service joining, then leaving) for SECONDS while dnsperf runs and a probe
 * instance joins and leaves every `probeMsAt(rate)`, timed until the answer changes.
 */
async function churn(feed: Feed, probeFeed: Feed, port: number, queryFile: string, rate: number, charged: Charged, { queries = true, portB, watcher, seconds = SECONDS }: RoundOptions = {}): Promise<Round> {
  const asker = await UdpAsker.open(port);
  // The second herald (BENCH_HERALD_MAIN_B) is probed on the same changes, by an asker of its own, at the same time.
  const askerB = portB === undefined ? undefined : await UdpAsker.open(portB);
  const load = measured(charged, queries
    ? () => dnsperf(port, queryFile, seconds, { clients: CLIENTS })
    : async (): Promise<DnsperfResult> => { await new Promise((r) => setTimeout(r, seconds * 1000)); return { qps: 0, latencyMs: 0, lost: 0, cores: 0 }; });
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const writer = (async () => {
    const start = performance.now();
    const live: [number, number][] = [];
    const pending = new Set<Promise<void>>();
    const issue = (change: Promise<void>) => { pending.add(change); change.then(() => pending.delete(change), () => {}); };
    let next = 10_000;
    let joins = 0;
    while (performance.now() < until) {
      const due = start + (done * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
      // Once POOL are registered, leaves and joins alternate. (Alternating from the start, as this bench did
      // before, left each instance registered for one change's interval: at 1000/s nearly all of them left
      // before any server could read them, and herald's zone changed ~8 times a second.)
      if (live.length >= POOL || (live.length > 0 && joins >= POOL && done % 2 === 1)) {
        const [s, i] = live.shift()!;
        issue(feed.change(s, i, false));
      } else {
        const s = joins++ % SERVICES;
        const i = next++;
        live.push([s, i]);
        issue(feed.change(s, i, true));
      }
      done++;
    }
    await Promise.all(pending);
    const reached = (done / (performance.now() - start)) * 1000;
    for (const [s, i] of live) await feed.change(s, i, false);
    return reached;
  })();
  const times: number[] = [];
  const timesB: number[] = [];
  const bareTimes: number[] = [];
  const ownTimes: number[] = [];
  let join = true;
  /** Asks until the answer shows the probe's change; the time from the write. */
  const visible = async (a: UdpAsker, t0: number, joined: boolean): Promise<number> => {
    for (;;) {
      const m = await a.ask(`i9999.svc0.${DOMAIN}`, RecordType.A, 200);
      if (m && probePresent(m) === joined) return performance.now() - t0;
      if (performance.now() - t0 > 5000) throw new Error(`probe change not visible in 5 s at ${rate}/s`);
    }
  };
  const probeMs = probeMsAt(rate);
  while (performance.now() < until - probeMs) {
    const joined = join;
    const bare = watcher?.childrenUntil(`${SERVED_ROOT}/svc0`, (children) => children.includes('i9999') === joined);
    await bare?.armed;
    const t0 = performance.now();
    await probeFeed.change(0, 9_999, join);
    const [t, tB, bareAt] = await Promise.all([visible(asker, t0, join), askerB && visible(askerB, t0, join), bare?.seen]);
    times.push(t);
    if (tB !== undefined) timesB.push(tB);
    if (bareAt !== undefined) { bareTimes.push(bareAt - t0); ownTimes.push(t - (bareAt - t0)); }
    join = !join;
    await new Promise((r) => setTimeout(r, Math.max(0, probeMs - (performance.now() - t0))));
  }
  if (!join) await probeFeed.change(0, 9_999, false);
  const [reached, { result, cores }] = await Promise.all([writer, load]);
  asker.close();
  askerB?.close();
  const of = (xs: number[]): Percentiles | undefined => (xs.length === 0 ? undefined : { p50: percentile(xs.sort((x, y) => x - y), 50), p99: percentile(xs, 99) });
  const { p50, p99 } = of(times)!;
  const b = of(timesB);
  const bareP = of(bareTimes);
  const own = of(ownTimes);
  return { rate, reached, load: result, p50, p99, probes: times.length, probesPerS: times.length / seconds, cores, ...(b ? { b } : {}), ...(bareP ? { bare: bareP } : {}), ...(own ? { own } : {}) };
}

const dir = await mkdtemp(join(tmpdir(), 'herald-churn-'));
const queryFile = join(dir, 'queries');
const queries: string[] = [];
for (let s = 0; s < SERVICES; s++) {
  queries.push(`_http._tcp.svc${s}.${DOMAIN} SRV`, `svc${s}.${DOMAIN} A`);
  for (let i = 0; i < 5; i++) queries.push(`i${s * MEMBERS + i}.svc${s}.${DOMAIN} A`);
}
await writeFile(queryFile, queries.join('\n') + '\n');

let records = '';
for (let s = 0; s < SERVICES; s++) {
  for (let k = 0; k < MEMBERS; k++) {
    const i = s * MEMBERS + k;
    records += `i${i}.svc${s} 30 IN A ${addressOf(i)}\nsvc${s} 30 IN A ${addressOf(i)}\n_http._tcp.svc${s} 60 IN SRV 0 10 80 i${i}.svc${s}\n`;
  }
}
const bind = QUIET_ONLY ? undefined : await Bind.start([{ origin: DOMAIN, records, dynamic: true }]);
const zk = await ZooKeeper.start();
const writer = await ZkWriter.open(zk.connectString);
const probeWriter = await ZkWriter.open(zk.connectString);
/** A bare ZooKeeper client following the probe's service in herald's rounds: when the change could first be known, whatever the server. */
const watcher = await ZkWriter.open(zk.connectString);
const port = await freePort();
let herald: ChildProcess | undefined;
let heraldB: ChildProcess | undefined;
const portB = await freePort();

/** Starts `herald serve` from the checkout whose CLI is `main`, on `at`; resolves once it answers. */
async function startHerald(main: string, at: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...SERVE_NODE_ARGS, main, 'serve', '--zk', zk.connectString, '--domain', DOMAIN, '--listen', `127.0.0.1:${at}`, '--threads', String(THREADS), '--rrl', 'off', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  reapOnExit(child);
  // Ready once it says so: with worker threads the main thread's socket answers until they are up.
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('listening ')) resolve(); });
    child.once('exit', (code) => reject(new Error(`herald serve exited (${code}) before listening`)));
  });
  child.stdout!.resume();
  const asker = await UdpAsker.open(at);
  await waitFor('herald serve to answer', async () => (await asker.ask(`i0.svc0.${DOMAIN}`, RecordType.A))?.rcode === 0, 30_000, 50);
  asker.close();
  return child;
}
const feeds: Feed[] = [];
try {
  for (let s = 0; s < SERVICES; s++) {
    for (const root of [SERVED_ROOT, ELSEWHERE_ROOT]) {
      await writer.mkdirp(`${root}/svc${s}`, serviceJson('_http', 80));
      for (let k = 0; k < MEMBERS; k++) await writer.create(`${root}/svc${s}/i${s * MEMBERS + k}`, hostJson(addressOf(s * MEMBERS + k), 80), true);
    }
  }
  herald = await startHerald(HERALD_MAIN, port);
  // QUIET=1 with BENCH_HERALD_MAIN_B: a second herald (another checkout) follows the same registry at the same time, on its own port.
  if (QUIET_ONLY && HERALD_MAIN_B) heraldB = await startHerald(HERALD_MAIN_B, portB);

  const heraldFeeds = { feed: zkFeed(writer), probe: zkFeed(probeWriter) };
  // The control: the same churn by the same writer on the same ZooKeeper, in a subtree herald does not follow.
  const elsewhereFeed = zkFeed(writer, ELSEWHERE_ROOT);
  const heraldCharged: Charged = { server: [herald.pid!], registry: [zk.pid()!], writer: [] };
  const topRate = Math.max(...RATES);
  if (QUIET_ONLY) {
    if (WARM_S > 0) await churn(heraldFeeds.feed, heraldFeeds.probe, port, queryFile, topRate, heraldCharged, { queries: false, portB: heraldB && portB, seconds: WARM_S });
    console.log(`herald serve without queries (${SERVICES} services of ${MEMBERS}, ${SECONDS} s per rate after ${WARM_S} s at ${topRate}/s not measured, ${HERALD_MAIN}): CPU per change (the churn's and the probe's), µs`);
    for (const rate of RATES) {
      const b0 = heraldB && await cpuSeconds(heraldB.pid!);
      const t0 = performance.now();
      const r = await churn(heraldFeeds.feed, heraldFeeds.probe, port, queryFile, rate, heraldCharged, { queries: false, portB: heraldB && portB, watcher });
      const coresB = heraldB && ((await cpuSeconds(heraldB.pid!)) - b0!) / ((performance.now() - t0) / 1000);
      const changes = r.reached + r.probesPerS;
      console.log(`herald serve  ${String(rate).padStart(9)}/s  reached ${r.reached.toFixed(0)}  server ${((r.cores.server / changes) * 1e6).toFixed(0).padStart(6)} µs/change (${r.cores.server.toFixed(2)} cores)  zk ${r.cores.registry.toFixed(2)}  writer ${r.cores.writer.toFixed(2)}  propagation p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms${bareCols(r)}  (${threadCols(r.cores)})` +
        (coresB === undefined ? '' : `  B (${HERALD_MAIN_B}) ${((coresB / changes) * 1e6).toFixed(0)} µs/change, A/B ${(r.cores.server / coresB).toFixed(3)}, B propagation p50 ${r.b!.p50.toFixed(1)} p99 ${r.b!.p99.toFixed(1)} ms`));
    }
  } else {
  const bindPort = bind!.port;
  const bindFeeds = { feed: nsupdateFeed(bindPort), probe: nsupdateFeed(bindPort) };
  feeds.push(bindFeeds.feed, bindFeeds.probe);
  const charged = {
    herald: heraldCharged,
    bind: { server: await udpPortPids(bindPort), registry: [], writer: [...bindFeeds.feed.pids, ...bindFeeds.probe.pids] },
  };
  // Each churn round against an idle run of its own server just before it: one idle figure for all
  // rounds swung 70k-100k q/s between runs of the bench, and every ratio with it.
  const idleRun = (at: number, charge: Charged) => measured(charge, () => dnsperf(at, queryFile, SECONDS, { clients: CLIENTS }));
  const rows: { server: string; idle: { result: DnsperfResult; cores: Cores }; round: Round; elsewhere?: Round }[] = [];
  if (WARM_S > 0) {
    await churn(heraldFeeds.feed, heraldFeeds.probe, port, queryFile, topRate, charged.herald, { seconds: WARM_S });
    await churn(bindFeeds.feed, bindFeeds.probe, bindPort, queryFile, topRate, charged.bind, { seconds: WARM_S });
  }
  for (const rate of RATES) {
    const heraldIdle = await idleRun(port, charged.herald);
    const elsewhere = await churn(elsewhereFeed, heraldFeeds.probe, port, queryFile, rate, charged.herald);
    rows.push({ server: 'herald serve', idle: heraldIdle, elsewhere, round: await churn(heraldFeeds.feed, heraldFeeds.probe, port, queryFile, rate, charged.herald, { watcher }) });
    const bindIdle = await idleRun(bindPort, charged.bind);
    rows.push({ server: 'BIND nsupdate', idle: bindIdle, round: await churn(bindFeeds.feed, bindFeeds.probe, bindPort, queryFile, rate, charged.bind) });
  }
  const idle = { herald: rows[0]!.idle, bind: rows[1]!.idle };
  const idleList = (server: string) => rows.filter((r) => r.server === server).map((r) => `${(r.idle.result.qps / 1000).toFixed(1)}k`).join(' / ');
  // What following the registry costs each server, without queries: its CPU per change (the churn's and the probe's).
  const quiet: { server: string; rate: number; perChange: number; cores: Cores }[] = [];
  for (const rate of RATES) {
    for (const [server, feeds, at, charge] of [['herald serve', heraldFeeds, port, charged.herald], ['BIND nsupdate', bindFeeds, bindPort, charged.bind]] as const) {
      const r = await churn(feeds.feed, feeds.probe, at, queryFile, rate, charge, { queries: false });
      const changes = r.reached + r.probesPerS;
      quiet.push({ server, rate, perChange: (r.cores.server / changes) * 1e6, cores: r.cores });
    }
  }
  /** The server's CPU per answered query, µs. */
  const perQuery = (cores: Cores, load: DnsperfResult) => (cores.server / load.qps) * 1e6;
  const coreCols = (c: Cores) => `${c.server.toFixed(2).padStart(6)}  ${c.registry.toFixed(2).padStart(6)}  ${c.writer.toFixed(2).padStart(6)}  ${c.dnsperf.toFixed(2).padStart(7)}`;
  console.log(`server under registry churn (${SERVICES} services of ${MEMBERS}; dnsperf -c ${CLIENTS}, ${SECONDS} s per point; probe change every ${RATES.map((r) => probeMsAt(r).toFixed(0)).join(' / ')} ms; ${THREADS} threads; ` +
    `each server warmed by ${WARM_S} s of churn at ${topRate}/s with queries first, not measured)`);
  console.log(`idle, just before each rate's round ("vs idle" is against it; the table's idle row is the first): herald ${idleList('herald serve')} q/s, BIND ${idleList('BIND nsupdate')} q/s`);
  console.log('cores: CPU seconds per wall second of the server, its registry (ZooKeeper; none for BIND), the writers (this bench process; nsupdate) and dnsperf, on the same cores');
  console.log('server          changes/s  reached      q/s  vs idle  avg ms  propagation p50 ms  p99 ms  server   zk/reg  writer  dnsperf  server µs/query  vs idle');
  for (const { server, idle: base } of rows.filter((r, i) => i < 2)) {
    console.log(`${server.padEnd(14)}  ${'idle'.padStart(9)}  ${'-'.padStart(7)}  ${base.result.qps.toFixed(0).padStart(7)}  ${'1.00'.padStart(6)}x  ${base.result.latencyMs.toFixed(2).padStart(6)}  ${'-'.padStart(18)}  ${'-'.padStart(6)}  ${coreCols(base.cores)}  ${perQuery(base.cores, base.result).toFixed(1).padStart(15)}  ${'1.00'.padStart(6)}x`);
  }
  for (const { server, idle: base, round: r, elsewhere } of rows) {
    // The control's row: 'herald control' is the same churn outside herald's domain (ZooKeeper's and the writer's cost without herald's).
    for (const x of elsewhere ? [elsewhere] : []) {
      console.log(`${'herald control'.padEnd(14)}  ${String(x.rate).padStart(9)}  ${x.reached.toFixed(0).padStart(7)}  ${x.load.qps.toFixed(0).padStart(7)}  ${(x.load.qps / base.result.qps).toFixed(2).padStart(6)}x  ${x.load.latencyMs.toFixed(2).padStart(6)}  ${'-'.padStart(18)}  ${'-'.padStart(6)}  ${coreCols(x.cores)}  ${perQuery(x.cores, x.load).toFixed(1).padStart(15)}  ${(perQuery(x.cores, x.load) / perQuery(base.cores, base.result)).toFixed(2).padStart(6)}x`);
    }
    console.log(`${server.padEnd(14)}  ${String(r.rate).padStart(9)}  ${r.reached.toFixed(0).padStart(7)}  ${r.load.qps.toFixed(0).padStart(7)}  ${(r.load.qps / base.result.qps).toFixed(2).padStart(6)}x  ${r.load.latencyMs.toFixed(2).padStart(6)}  ${r.p50.toFixed(1).padStart(18)}  ${r.p99.toFixed(1).padStart(6)}  ${coreCols(r.cores)}  ${perQuery(r.cores, r.load).toFixed(1).padStart(15)}  ${(perQuery(r.cores, r.load) / perQuery(base.cores, base.result)).toFixed(2).padStart(6)}x`);
  }

  console.log(`herald serve threads (cores): idle: ${threadCols(idle.herald.cores)}`);
  for (const { round: r } of rows.filter((x) => x.server === 'herald serve')) console.log(`herald serve threads (cores): ${r.rate}/s: ${threadCols(r.cores)}`);
  for (const { round: r } of rows.filter((x) => x.server === 'herald serve')) console.log(`herald serve propagation at ${r.rate}/s (${r.probes} probes): p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms${bareCols(r)}`);
  console.log("without queries: CPU per change (the churn's and the probe's), µs");
  for (const q of quiet) console.log(`${q.server.padEnd(14)}  ${String(q.rate).padStart(9)}/s  server ${q.perChange.toFixed(0).padStart(6)} µs/change (${q.cores.server.toFixed(2)} cores)  zk/reg ${q.cores.registry.toFixed(2)}  writer ${q.cores.writer.toFixed(2)}${q.server === 'herald serve' ? `  (${threadCols(q.cores)})` : ''}`);
  const top = rows.filter((r) => r.server === 'herald serve').at(-1)!;
  const others = (c: Cores) => c.registry + c.writer;
  console.log(`herald at ${top.round.rate}/s: q/s ${(top.round.load.qps / top.idle.result.qps).toFixed(2)}x idle (target >= 0.9x), propagation p99 ${top.round.p99.toFixed(1)} ms (target <= 50 ms); ` +
    `herald's CPU per query ${(perQuery(top.round.cores, top.round.load) / perQuery(top.idle.cores, top.idle.result)).toFixed(2)}x idle; ZooKeeper and the writer took ${others(top.round.cores).toFixed(2)} cores (idle: ${others(top.idle.cores).toFixed(2)}) of the 2 herald and dnsperf share`);
  if (top.elsewhere) {
    const control = top.elsewhere;
    console.log(`control at ${control.rate}/s: the same churn outside herald's domain (ZooKeeper ${control.cores.registry.toFixed(2)} and the writer ${control.cores.writer.toFixed(2)} cores, herald following none of it): q/s ${(control.load.qps / top.idle.result.qps).toFixed(2)}x idle, the most the machine leaves; ` +
      `herald following the churn ${(top.round.load.qps / control.load.qps).toFixed(2)}x the control's q/s (what following costs herald, ZooKeeper's reads for it included)`);
  }
    if (nsupdateResent > 0) console.log(`BIND: ${nsupdateResent} UPDATEs sent again after BIND closed their connection unanswered (counted once in its rate, when answered)`);
  }
} finally {
  for (const f of feeds) await f.close();
  for (const h of [herald, heraldB]) if (h && h.exitCode === null) { h.kill('SIGTERM'); await new Promise((r) => h.once('exit', r)); }
  writer.close();
  probeWriter.close();
  watcher.close();
  await zk.stop();
  await bind?.stop();
  await rm(dir, { recursive: true, force: true });
}
