// Figure: server queries/s under dnsperf, `herald serve` against the
// authoritative servers users could pick instead — BIND `named`, Knot, NSD
// and unbound (local-data), their rate limiting off (herald's too) — and
// against the floor of what Node does here (worker threads with herald's
// socket setup sending precomputed replies), all serving the same records (a
// service with 3 instances: SRV and A) in one run. Prints QPS and average
// latency for each and the ratios herald/BIND, herald/fastest peer,
// herald/Node floor. Then the cost of response rate limiting: herald serve
// with RRL at its default against RRL off, for a well-behaved population
// (one /24 asking 200 names, each under the limit), and how many replies RRL
// limited (dnsperf from one address on 3 names is a flood by RRL's measure,
// hence RRL off for the peer comparison). Bounded: 2 interleaved dnsperf
// runs of HALF_SECONDS (6 s) per contender, plus 4 for RRL.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostRecordJson, serviceRecordJson } from '../src/registry/records.ts';
import { ZooKeeperStore } from '../src/registry/store-zookeeper.ts';
import { Bind } from '../test/fixtures/bind.ts';
import { encodeQuery, RecordType } from '../src/dns/index.ts';
import { dnsperf, meanResult, type DnsperfResult as Result } from './lib/dnsperf.ts';
import { captureReplies, startNodeFloor } from './lib/node-floor.ts';
import { startKnot, startNsd, startUnbound, type PeerServer } from './lib/peers.ts';
import { freePort } from '../test/fixtures/ports.ts';
import { waitFor } from '../test/fixtures/wait.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';

const run = promisify(execFile);
// Each contender runs 2 × HALF_SECONDS, interleaved.
const HALF_SECONDS = Number(process.env['BENCH_SECONDS'] ?? 6);
const DOMAIN = 'coal.joyent.us';
/** UDP threads of `herald serve`: one per CPU, as its default. */
const THREADS = Number(process.env['BENCH_THREADS'] ?? availableParallelism());
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
for (const start of [startKnot, startNsd, startUnbound]) peers.push(await start(DOMAIN, RECORDS));
const zk = await ZooKeeper.start();
const store = ZooKeeperStore.open({ connect: zk.connectString });
const serveArgs = (port: number, extra: string[]) => ['src/cli/main.ts', 'serve', '--zk', zk.connectString, '--domain', DOMAIN, '--listen', `127.0.0.1:${port}`,
  '--threads', String(THREADS), '--log-level', 'error', ...extra];
const port = await freePort();
const herald = spawn(process.execPath, serveArgs(port, ['--rrl', 'off']), { stdio: ['ignore', 'ignore', 'inherit'] });
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
  peers.push(await startNodeFloor(await captureReplies(port, floorQueries), THREADS));

  // Interleaved rounds, so a burst of load from elsewhere on the machine hits all alike.
  const contenders: { name: string; port: number; results: Result[] }[] = [
    { name: 'BIND named', port: bind.port, results: [] },
    ...peers.map((p) => ({ name: p.name, port: p.port, results: [] as Result[] })),
    { name: 'herald serve', port, results: [] },
  ];
  for (let round = 0; round < 2; round++) {
    for (const c of contenders) c.results.push(await dnsperf(c.port, queryFile, HALF_SECONDS));
  }
  const by = new Map(contenders.map((c) => [c.name, meanResult(c.results)]));
  const h = by.get('herald serve')!;
  const line = (name: string, r: Result) => `${name.padEnd(14)} ${r.qps.toFixed(0).padStart(8)} q/s  avg latency ${r.latencyMs.toFixed(3)} ms  lost ${r.lost}`;
  console.log(`server queries/s (dnsperf, 2 x ${HALF_SECONDS} s each, interleaved, ${QUERIES.length} query kinds: SRV + A, 3 instances; ${THREADS} threads/workers each)`);
  for (const [name, r] of by) console.log(line(name, r));
  const fastest = [...by].filter(([n]) => n !== 'herald serve' && n !== 'node floor').sort((a, b) => b[1].qps - a[1].qps)[0]!;
  console.log(`ratio herald/BIND: ${(h.qps / by.get('BIND named')!.qps).toFixed(2)}x (target >= 1.5x)`);
  console.log(`ratio herald/fastest peer (${fastest[0]}): ${(h.qps / fastest[1].qps).toFixed(2)}x`);
  console.log(`ratio herald/Node floor: ${(h.qps / by.get('node floor')!.qps).toFixed(2)}x (target >= 0.95x)`);

  const rrlHalves: [Result[], Result[]] = [[], []];
  for (let round = 0; round < 2; round++) {
    rrlHalves[0].push(await dnsperf(port, populationFile, HALF_SECONDS));
    rrlHalves[1].push(await dnsperf(rrlPort, populationFile, HALF_SECONDS));
  }
  const off = meanResult(rrlHalves[0]);
  const on = meanResult(rrlHalves[1]);
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const counter = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  console.log(`response rate limiting: one /24 asking ${POPULATION.length} names (about ${(on.qps / POPULATION.length).toFixed(0)} q/s per name, under the default limit)`);
  console.log(line('RRL off', off));
  console.log(line('RRL default', on) + `  limited: ${counter('herald_server_rrl_dropped_total')} dropped, ${counter('herald_server_rrl_slipped_total')} slipped`);
  console.log(`ratio RRL on/off: ${(on.qps / off.qps).toFixed(2)}x (target >= 0.95x)`);
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
