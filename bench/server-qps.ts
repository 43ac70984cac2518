// Figure: server queries/s under dnsperf, `herald serve` against the
// authoritative servers users could pick instead — BIND `named`, Knot, NSD
// and unbound (local-data), their rate limiting off (herald's too) — and
// against the floor of what Node does here (bench/lib/node-floor.ts:
// herald's own UDP socket code and thread layout sending precomputed
// replies), all serving the same records (a service with 3 instances: SRV
// and A) in one run. The machine is shared, so the contenders take turns in
// interleaved rounds (herald, floor, BIND, Knot, NSD, unbound, then the
// other way round, ...: no contender always runs first, or always right
// after the same other) and the ratios are the medians of each round's ratio. Besides q/s it
// prints each server's CPU per query (its CPU time over the queries it
// answered: the per-packet cost, which load elsewhere moves much less than
// q/s) and dnsperf's own CPU (if dnsperf were the limit, it would show one
// core per thread busy). Then the cost of response rate limiting: herald
// serve with RRL at its default against RRL off, interleaved too, for a
// well-behaved population (one /24 asking 200 names, each under the limit),
// and how many replies RRL limited (dnsperf from one address on 3 names is
// a flood by RRL's measure, hence RRL off for the peer comparison).
// Bounded: BENCH_ROUNDS (5) rounds of BENCH_SECONDS (5) s per contender,
// and BENCH_RRL_ROUNDS (9) for RRL on and off: its cost is a few percent,
// and the median of 5 rounds, ±3% here, cannot tell 0.95× from 0.92×.
// BENCH_PIN=1 runs dnsperf on CPU 0 and every server on CPU 1 (all its
// threads). dnsperf settings:
// BENCH_CLIENTS (-c, 16), BENCH_DNSPERF_THREADS (-T, 1), BENCH_OUTSTANDING
// (-q, 200). BENCH_PROFILE=DIR runs herald serve and the floor with --cpu-prof into DIR;
// BENCH_ONLY=herald,floor[,rrl] measures only those (for iterating);
// BENCH_FLOOR_RESPONDER=1 has the floor answer through herald's Responder
// (bench/lib/node-floor-server.ts: tells the responder's cost from the rest);
// BENCH_HERALD_MAIN=PATH runs another checkout's herald (before/after).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostRecordJson, serviceRecordJson } from '../src/registry/records.ts';
import { ZooKeeperStore } from '../src/registry/store-zookeeper.ts';
import { Bind } from '../test/fixtures/bind.ts';
import { encodeQuery, RecordType } from '../src/dns/index.ts';
import { dnsperf, type DnsperfOptions, type DnsperfResult as Result } from './lib/dnsperf.ts';
import { totalCpuSeconds, udpPortPids } from './lib/proc-cpu.ts';
import { percentile } from './lib/udp-query.ts';
import { captureReplies, startNodeFloor } from './lib/node-floor.ts';
import { startKnot, startNsd, startUnbound, type PeerServer } from './lib/peers.ts';
import { freePort } from '../test/fixtures/ports.ts';
import { waitFor } from '../test/fixtures/wait.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';

const run = promisify(execFile);
const ORDER = ['herald serve', 'node floor', 'BIND named'];
const order = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ROUNDS = env('BENCH_ROUNDS', 5);
const RRL_ROUNDS = env('BENCH_RRL_ROUNDS', 9);
const SECONDS = env('BENCH_SECONDS', 5);
const PIN = process.env['BENCH_PIN'] === '1';
const PROFILE = process.env['BENCH_PROFILE'];
/** BENCH_ONLY=herald,floor: measure only the contenders whose names contain one of these (for iterating; the ratios need herald, floor and BIND). */
const ONLY = process.env['BENCH_ONLY']?.split(',');
const DNSPERF: DnsperfOptions = {
  clients: env('BENCH_CLIENTS', 16), threads: env('BENCH_DNSPERF_THREADS', 1), outstanding: env('BENCH_OUTSTANDING', 200),
  ...(PIN ? { cpus: '0' } : {}),
};
const DOMAIN = 'coal.joyent.us';
/** UDP threads of `herald serve` and the floor: one per CPU, as herald's default; BIND, Knot, NSD and unbound use one per CPU too. */
const THREADS = env('BENCH_THREADS', availableParallelism());
const QUERIES = [`_moray._tcp.moray.${DOMAIN} SRV`, `moray.${DOMAIN} A`, `a.moray.${DOMAIN} A`];
/** The well-behaved population's names: one A per instance. */
const POPULATION = Array.from({ length: 200 }, (_, i) => `i${i}.pop.${DOMAIN} A`);

const dir = await mkdtemp(join(tmpdir(), 'herald-bench-'));
const queryFile = join(dir, 'queries');
await writeFile(queryFile, QUERIES.join('\n') + '\n');
const populationFile = join(dir, 'population');
await writeFile(populationFile, POPULATION.join('\n') + '\n');
const RECORDS = `
moray 30 IN A 10.0.0.1
moray 30 IN A 10.0.0.2
moray 30 IN A 10.0.0.3
a.moray 30 IN A 10.0.0.1
b.moray 30 IN A 10.0.0.2
c.moray 30 IN A 10.0.0.3
_moray._tcp.moray 60 IN SRV 0 10 2021 a.moray
_moray._tcp.moray 60 IN SRV 0 10 2021 b.moray
_moray._tcp.moray 60 IN SRV 0 10 2021 c.moray
`;
const bind = await Bind.start([{ origin: DOMAIN, records: RECORDS }]);
const peers: PeerServer[] = [];
for (const start of [startKnot, startNsd, startUnbound]) peers.push(await start(DOMAIN, RECORDS, THREADS));
const zk = await ZooKeeper.start();
const store = ZooKeeperStore.open({ connect: zk.connectString });
/** BENCH_HERALD_MAIN=PATH: another checkout's src/cli/main.ts (to compare two versions of herald against the same floor). */
const HERALD_MAIN = process.env['BENCH_HERALD_MAIN'] ?? 'src/cli/main.ts';
const serveArgs = (port: number, extra: string[]) => [HERALD_MAIN, 'serve', '--zk', zk.connectString, '--domain', DOMAIN, '--listen', `127.0.0.1:${port}`,
  '--threads', String(THREADS), '--log-level', 'error', ...extra];
const port = await freePort();
const profileArgs = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : [];
// The two herald serves differ only in RRL (both serve metrics: the RRL one's counters are read below).
const herald = spawn(process.execPath, [...profileArgs, ...serveArgs(port, ['--rrl', 'off', '--metrics', `127.0.0.1:${await freePort()}`])], { stdio: ['ignore', 'ignore', 'inherit'] });
const rrlPort = await freePort();
const metricsPort = await freePort();
const heraldRrl = spawn(process.execPath, serveArgs(rrlPort, ['--metrics', `127.0.0.1:${metricsPort}`]), { stdio: ['ignore', 'ignore', 'inherit'] });
try {
  await store.ready(10_000);
  await store.putPersistent('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }));
  for (const [i, name] of ['a', 'b', 'c'].entries()) {
    await store.putEphemeral(`/us/joyent/coal/moray/${name}`, hostRecordJson({ type: 'moray_host', address: `10.0.0.${i + 1}`, ports: [2021], ttl: 30 }));
  }
  // Same answers from both before measuring.
  const short = async (p: number) => (await run('dig', ['@127.0.0.1', '-p', String(p), '+short', 'SRV', `_moray._tcp.moray.${DOMAIN}`])).stdout.split('\n').filter(Boolean).sort().join(',');
  const want = await short(bind.port);
  await waitFor('herald serve to answer like BIND', async () => (await short(port).catch(() => '')) === want, 20_000, 100);
  for (const peer of peers) {
    const got = await short(peer.port);
    if (got !== want) throw new Error(`${peer.name} answers ${got}, BIND ${want}`);
  }
  for (let i = 0; i < POPULATION.length; i++) {
    // Their own parent, so the moray service the peers are compared on keeps its 3 members.
    await store.putEphemeral(`/us/joyent/coal/pop/i${i}`, hostRecordJson({ type: 'moray_host', address: `10.1.${i >> 8}.${i & 255}`, ports: [2021], ttl: 30 }));
  }
  const lastName = `i${POPULATION.length - 1}.pop.${DOMAIN}`;
  const shortA = async (p: number) => (await run('dig', ['@127.0.0.1', '-p', String(p), '+short', 'A', lastName])).stdout.trim();
  await waitFor('both herald serves to have the population', async () => (await shortA(port).catch(() => '')) !== '' && (await shortA(rrlPort).catch(() => '')) !== '', 20_000, 100);
  // The floor sends herald's own replies to the same queries (dnsperf sets rd, no EDNS).
  const floorQueries = QUERIES.map((q) => { const [name, type] = q.split(' '); return encodeQuery({ id: 0, name: name!, type: RecordType[type as 'A'] }); });
  peers.push(await startNodeFloor(await captureReplies(port, floorQueries), THREADS, profileArgs));

  // Interleaved rounds, so a burst of load from elsewhere on the machine hits all alike.
  type Measured = Result & { serverCores: number; cpuUsPerQuery: number };
  interface Contender { name: string; port: number; pids: number[]; runs: Measured[] }
  const pin = async (pids: number[]) => { if (PIN) for (const pid of pids) await run('taskset', ['-a', '-p', '-c', '1', String(pid)]); };
  const contender = async (name: string, p: number): Promise<Contender> => {
    const pids = await udpPortPids(p);
    await pin(pids);
    return { name, port: p, pids, runs: [] };
  };
  const contenders: Contender[] = [
    await contender('herald serve', port),
    ...await Promise.all(peers.map((p) => contender(p.name, p.port))),
    await contender('BIND named', bind.port),
  ];
  // herald, floor, BIND, then the others.
  contenders.sort((a, b) => order(a.name) - order(b.name));
  if (ONLY) contenders.splice(0, contenders.length, ...contenders.filter((c) => ONLY.some((o) => c.name.includes(o))));
  const measure = async (c: { port: number; pids: number[] }, file: string): Promise<Measured> => {
    const before = await totalCpuSeconds(c.pids);
    const r = await dnsperf(c.port, file, SECONDS, DNSPERF);
    const used = (await totalCpuSeconds(c.pids)) - before;
    return { ...r, serverCores: used / SECONDS, cpuUsPerQuery: (used / (r.qps * SECONDS)) * 1e6 };
  };
  await pin([heraldRrl.pid!]);
  for (let round = 0; round < ROUNDS; round++) {
    // Every other round in reverse: with herald always first, a q/s ratio to the floor moved by ~0.07 when only the order changed.
    for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) c.runs.push(await measure(c, queryFile));
  }
  const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const qps = (name: string) => contenders.find((c) => c.name === name)!.runs.map((r) => r.qps);
  const perRound = (a: string, b: string) => qps(a).map((x, i) => x / qps(b)[i]!);
  const ratios = (a: string, b: string) => { if (!has(a) || !has(b)) return 'not measured'; const r = perRound(a, b); return `${r.map((x) => x.toFixed(2)).join(' ')}  median ${med(r).toFixed(2)}x`; };
  console.log(`server queries/s: dnsperf -c ${DNSPERF.clients} -T ${DNSPERF.threads} -q ${DNSPERF.outstanding}, ${ROUNDS} interleaved rounds of ${SECONDS} s, ` +
    `${QUERIES.length} query kinds (SRV + A, 3 instances), ${THREADS} threads each, ${PIN ? 'dnsperf pinned to CPU 0 and every server to CPU 1' : 'unpinned'}, ${availableParallelism()} CPUs`);
  console.log(`${'server'.padEnd(14)} ${'median q/s'.padStart(10)} ${'min-max'.padStart(15)}  ${'latency'.padStart(8)}  ${'server CPU'.padStart(10)}  ${'CPU/query'.padStart(9)}  ${'dnsperf CPU'.padStart(11)}  lost`);
  for (const c of contenders) {
    const q = c.runs.map((r) => r.qps);
    console.log(`${c.name.padEnd(14)} ${med(q).toFixed(0).padStart(10)} ${`${Math.min(...q).toFixed(0)}-${Math.max(...q).toFixed(0)}`.padStart(15)}  ` +
      `${med(c.runs.map((r) => r.latencyMs)).toFixed(3).padStart(5)} ms  ${med(c.runs.map((r) => r.serverCores)).toFixed(2).padStart(6)} cores  ` +
      `${med(c.runs.map((r) => r.cpuUsPerQuery)).toFixed(2).padStart(6)} µs  ${med(c.runs.map((r) => r.cores)).toFixed(2).padStart(7)} cores  ${c.runs.reduce((a, r) => a + r.lost, 0)}`);
  }
  const peerNames = contenders.map((c) => c.name).filter((n) => n !== 'herald serve' && n !== 'node floor');
  const fastest = peerNames.sort((a, b) => med(qps(b)) - med(qps(a)))[0] ?? 'BIND named';
  const has = (name: string) => contenders.some((c) => c.name === name);
  console.log(`herald/BIND per round:        ${ratios('herald serve', 'BIND named')} (target >= 1.5x)`);
  console.log(`herald/Node floor per round:  ${ratios('herald serve', 'node floor')} (target >= 0.95x)`);
  console.log(`Node floor/BIND per round:    ${ratios('node floor', 'BIND named')} (the most a Node server with this socket path reaches)`);
  console.log(`herald/fastest peer (${fastest}) per round: ${ratios('herald serve', fastest)}`);
  // The same comparisons by CPU per query (the other's over herald's: above 1 means herald spends less a query).
  const cpu = (name: string) => contenders.find((c) => c.name === name)!.runs.map((r) => r.cpuUsPerQuery);
  const cpuRatios = (a: string, b: string) => { if (!has(a) || !has(b)) return 'not measured'; const r = cpu(b).map((x, i) => x / cpu(a)[i]!); return `${r.map((x) => x.toFixed(2)).join(' ')}  median ${med(r).toFixed(2)}x`; };
  console.log(`by CPU per query, herald/BIND:       ${cpuRatios('herald serve', 'BIND named')}`);
  console.log(`by CPU per query, herald/Node floor: ${cpuRatios('herald serve', 'node floor')}`);
  console.log(`by CPU per query, floor/BIND:        ${cpuRatios('node floor', 'BIND named')}`);
  console.log(`by CPU per query, herald/${fastest}: ${cpuRatios('herald serve', fastest)}`);

  const rrlRuns: [Measured[], Measured[]] = [[], []];
  for (let round = 0; round < (ONLY && !ONLY.includes('rrl') ? 0 : RRL_ROUNDS); round++) {
    // Off then on, then on then off: neither always first.
    for (const on of round % 2 === 0 ? [0, 1] as const : [1, 0] as const) {
      rrlRuns[on].push(await measure(on === 1 ? { port: rrlPort, pids: [heraldRrl.pid!] } : { port, pids: [herald.pid!] }, populationFile));
    }
  }
  if (rrlRuns[0].length > 0) {
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const counter = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const onQps = med(rrlRuns[1].map((r) => r.qps));
    const paired = (f: (on: Measured, off: Measured) => number) => { const r = rrlRuns[1].map((on, i) => f(on, rrlRuns[0][i]!)); return `${r.map((x) => x.toFixed(2)).join(' ')}  median ${med(r).toFixed(2)}x`; };
    const rrlLine = (name: string, runs: Measured[]) => `${name.padEnd(14)} ${med(runs.map((r) => r.qps)).toFixed(0).padStart(8)} q/s median, ${med(runs.map((r) => r.cpuUsPerQuery)).toFixed(2)} µs CPU/query`;
    console.log(`response rate limiting: one /24 asking ${POPULATION.length} names (about ${(onQps / POPULATION.length).toFixed(0)} q/s per name, under the default limit), herald serve with and without it, interleaved`);
    console.log(rrlLine('RRL off', rrlRuns[0]));
    console.log(rrlLine('RRL default', rrlRuns[1]) + `  limited: ${counter('herald_server_rrl_dropped_total')} dropped, ${counter('herald_server_rrl_slipped_total')} slipped`);
    console.log(`RRL on/off q/s per round:             ${paired((on, off) => on.qps / off.qps)} (target >= 0.95x)`);
    console.log(`RRL off/on CPU per query per round:   ${paired((on, off) => off.cpuUsPerQuery / on.cpuUsPerQuery)}`);
  }
} finally {
  for (const p of [herald, heraldRrl]) {
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
  await store.close();
  await zk.stop();
  await bind.stop();
  for (const peer of peers) await peer.stop();
  await rm(dir, { recursive: true, force: true });
}
