// Figure: a DNS server whose registry changes all the time. At 10, 100 and
// 1000 changes/s (instances registering and leaving 3 services of 30),
// `herald serve` fed by a real ZooKeeper (a raw client writing as registrars
// do) against BIND fed the same changes by RFC 2136 dynamic update (one
// long-lived `nsupdate`, one UPDATE message per change): q/s and average
// latency under dnsperf while the changes run, each against its own idle
// figure, and propagation p50/p99 of a probe change (write issued → answer
// changed) made every PROBE_MS under that churn and query load. The rate
// each writer really reached is printed too. Targets (DESIGN.md): at
// 1000 changes/s herald q/s >= 0.9x idle and propagation p99 <= 50 ms.
// Bounded: SECONDS per rate per server, plus an idle run each.
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
import { percentile, UdpAsker } from './lib/udp-query.ts';
import { addressOf, hostJson, serviceJson, ZkWriter } from './lib/zk-writer.ts';

const RATES = (process.env['RATES'] ?? '10,100,1000').split(',').map(Number);
const SECONDS = Number(process.env['SECONDS'] ?? 5);
const PROBE_MS = 100;
const DOMAIN = 'coal.joyent.us';
const SERVICES = 3;
const MEMBERS = 30;
/** Instances beyond the base that may be registered at once. */
const POOL = 20;
/**
 * Changes written and not yet acknowledged, at most: registrars write
 * independently, so the feed does not wait for one change before the next
 * (one at a time the writer's own round trip capped the rate, at 625/s on a
 * quiet machine). Each server acknowledges them in order.
 */
const IN_FLIGHT = 32;
const THREADS = availableParallelism();

/** Writes changes to one server's registry: an instance `i` of service `s` joins or leaves. */
interface Feed {
  change(s: number, i: number, join: boolean): Promise<void>;
  close(): Promise<void>;
}

function zkFeed(writer: ZkWriter): Feed {
  return {
    change: (s, i, join) => (join ? writer.create(`/us/joyent/coal/svc${s}/i${i}`, hostJson(addressOf(i), 80), true) : writer.remove(`/us/joyent/coal/svc${s}/i${i}`)),
    async close() {},
  };
}

/** One nsupdate process; each change is one UPDATE message, acknowledged in order. */
function nsupdateFeed(port: number): Feed {
  const child: ChildProcess = spawn('nsupdate', ['-v'], { stdio: ['pipe', 'pipe', 'pipe'] });
  reapOnExit(child);
  // nsupdate prints nothing per successful send; a trailing `answer` after each send tells it was answered.
  const waiting: (() => void)[] = [];
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let at;
    while ((at = out.indexOf(';; ->>HEADER<<-')) >= 0) { out = out.slice(at + 15); waiting.shift()?.(); }
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`nsupdate: ${d}`));
  child.stdin!.write(`server 127.0.0.1 ${port}\nzone ${DOMAIN}\n`);
  return {
    change(s, i, join) {
      const name = `i${i}.svc${s}.${DOMAIN}`;
      const srv = `_http._tcp.svc${s}.${DOMAIN}`;
      const lines = join
        ? `update add ${name} 30 A ${addressOf(i)}\nupdate add ${srv} 60 SRV 0 10 80 ${name}\nsend\nanswer\n`
        : `update delete ${name} A\nupdate delete ${srv} SRV 0 10 80 ${name}\nsend\nanswer\n`;
      return new Promise((resolve) => { waiting.push(resolve); child.stdin!.write(lines); });
    },
    async close() { child.stdin!.end('quit\n'); await new Promise((r) => child.once('exit', r)); },
  };
}

interface Round { rate: number; reached: number; load: DnsperfResult; p50: number; p99: number }

/**
 * Runs churn at `rate` changes/s (instances beyond the base MEMBERS of each
 * service joining, then leaving) for SECONDS while dnsperf runs and a probe
 * instance joins and leaves every PROBE_MS, timed until the answer changes.
 */
async function churn(feed: Feed, probeFeed: Feed, port: number, queryFile: string, rate: number, present: (m: Awaited<ReturnType<UdpAsker['ask']>>) => boolean): Promise<Round> {
  const asker = await UdpAsker.open(port);
  const load = dnsperf(port, queryFile, SECONDS);
  const until = performance.now() + SECONDS * 1000;
  let done = 0;
  const writer = (async () => {
    const start = performance.now();
    const live: [number, number][] = [];
    const pending = new Set<Promise<void>>();
    const issue = (change: Promise<void>) => { pending.add(change); change.then(() => pending.delete(change), () => {}); };
    let next = 10_000;
    while (performance.now() < until) {
      const due = start + (done * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
      // Joins and leaves alternate, so each service stays within POOL of its base size.
      if (live.length >= POOL || (live.length > 0 && done % 2 === 1)) {
        const [s, i] = live.shift()!;
        issue(feed.change(s, i, false));
      } else {
        const s = done % SERVICES;
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
  let join = true;
  while (performance.now() < until - PROBE_MS) {
    const t0 = performance.now();
    await probeFeed.change(0, 9_999, join);
    for (;;) {
      const m = await asker.ask(`i9999.svc0.${DOMAIN}`, RecordType.A, 200);
      if (m && present(m) === join) break;
      if (performance.now() - t0 > 5000) throw new Error(`probe change not visible in 5 s at ${rate}/s`);
    }
    times.push(performance.now() - t0);
    join = !join;
    await new Promise((r) => setTimeout(r, Math.max(0, PROBE_MS - (performance.now() - t0))));
  }
  if (!join) await probeFeed.change(0, 9_999, false);
  const [reached, result] = await Promise.all([writer, load]);
  asker.close();
  times.sort((a, b) => a - b);
  return { rate, reached, load: result, p50: percentile(times, 50), p99: percentile(times, 99) };
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
const bind = await Bind.start([{ origin: DOMAIN, records, dynamic: true }]);
const zk = await ZooKeeper.start();
const writer = await ZkWriter.open(zk.connectString);
const probeWriter = await ZkWriter.open(zk.connectString);
const port = await freePort();
let herald: ChildProcess | undefined;
const feeds: Feed[] = [];
try {
  for (let s = 0; s < SERVICES; s++) {
    await writer.mkdirp(`/us/joyent/coal/svc${s}`, serviceJson('_http', 80));
    for (let k = 0; k < MEMBERS; k++) await writer.create(`/us/joyent/coal/svc${s}/i${s * MEMBERS + k}`, hostJson(addressOf(s * MEMBERS + k), 80), true);
  }
  herald = spawn(process.execPath, ['src/cli/main.ts', 'serve', '--zk', zk.connectString, '--domain', DOMAIN, '--listen', `127.0.0.1:${port}`, '--threads', String(THREADS), '--rrl', 'off', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  reapOnExit(herald);
  const asker = await UdpAsker.open(port);
  await waitFor('herald serve to answer', async () => (await asker.ask(`i0.svc0.${DOMAIN}`, RecordType.A))?.rcode === 0, 30_000, 50);
  asker.close();

  const heraldFeeds = { feed: zkFeed(writer), probe: zkFeed(probeWriter) };
  const bindFeeds = { feed: nsupdateFeed(bind.port), probe: nsupdateFeed(bind.port) };
  feeds.push(bindFeeds.feed, bindFeeds.probe);
  const idle = { herald: await dnsperf(port, queryFile, SECONDS), bind: await dnsperf(bind.port, queryFile, SECONDS) };
  const rows: { server: string; idle: DnsperfResult; round: Round }[] = [];
  for (const rate of RATES) {
    // herald: a REFUSED (the name is not held) or an answer with the probe's address.
    rows.push({ server: 'herald serve', idle: idle.herald, round: await churn(heraldFeeds.feed, heraldFeeds.probe, port, queryFile, rate, (m) => !!m && m.rcode === 0 && m.answers.length > 0) });
    rows.push({ server: 'BIND nsupdate', idle: idle.bind, round: await churn(bindFeeds.feed, bindFeeds.probe, bind.port, queryFile, rate, (m) => !!m && m.rcode === 0 && m.answers.length > 0) });
  }
  console.log(`server under registry churn (${SERVICES} services of ${MEMBERS}; dnsperf ${SECONDS} s per point; probe change every ${PROBE_MS} ms; ${THREADS} threads)`);
  console.log(`idle: herald ${idle.herald.qps.toFixed(0)} q/s (${idle.herald.latencyMs.toFixed(2)} ms), BIND ${idle.bind.qps.toFixed(0)} q/s (${idle.bind.latencyMs.toFixed(2)} ms)`);
  console.log('server          changes/s  reached      q/s  vs idle  avg ms  propagation p50 ms  p99 ms');
  for (const { server, idle: base, round: r } of rows) {
    console.log(`${server.padEnd(14)}  ${String(r.rate).padStart(9)}  ${r.reached.toFixed(0).padStart(7)}  ${r.load.qps.toFixed(0).padStart(7)}  ${(r.load.qps / base.qps).toFixed(2).padStart(6)}x  ${r.load.latencyMs.toFixed(2).padStart(6)}  ${r.p50.toFixed(1).padStart(18)}  ${r.p99.toFixed(1).padStart(6)}`);
  }
  const top = rows.filter((r) => r.server === 'herald serve').at(-1)!;
  console.log(`herald at ${top.round.rate}/s: q/s ${(top.round.load.qps / top.idle.qps).toFixed(2)}x idle (target >= 0.9x), propagation p99 ${top.round.p99.toFixed(1)} ms (target <= 50 ms)`);
} finally {
  for (const f of feeds) await f.close();
  if (herald && herald.exitCode === null) { herald.kill('SIGTERM'); await new Promise((r) => herald!.once('exit', r)); }
  writer.close();
  probeWriter.close();
  await zk.stop();
  await bind.stop();
  await rm(dir, { recursive: true, force: true });
}
