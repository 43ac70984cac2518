// Figure: server queries/s under dnsperf, `herald serve` against BIND `named`
// serving the same records (a service with 3 instances: SRV and A) in one
// run. Prints QPS and average latency for both and the ratio. Then the cost
// of response rate limiting: herald serve with RRL at its default against
// RRL off, for a well-behaved population (one /24 asking 200 names, each
// under the limit), and how many replies RRL limited. The BIND comparison
// runs with RRL off on both sides (dnsperf from one address on 3 names is a
// flood by RRL's measure). Bounded: eight dnsperf runs of HALF_SECONDS (6 s)
// plus start-up, about a minute and a half.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostRecordJson, serviceRecordJson } from '../src/registry/records.ts';
import { ZooKeeperStore } from '../src/registry/zookeeper.ts';
import { Bind } from '../test/fixtures/bind.ts';
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
const POPULATION = Array.from({ length: 200 }, (_, i) => `i${i}.moray.${DOMAIN} A`);

interface Result { qps: number; latencyMs: number; lost: number }

async function dnsperf(port: number, file: string): Promise<Result> {
  const { stdout } = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(HALF_SECONDS), '-c', '16', '-T', '1', '-q', '200'],
    { timeout: (HALF_SECONDS + 20) * 1000 });
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    latencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    lost: num(/Queries lost:\s+(\d+)/),
  };
}

const dir = await mkdtemp(join(tmpdir(), 'herald-bench-'));
const queryFile = join(dir, 'queries');
await writeFile(queryFile, QUERIES.join('\n') + '\n');
const populationFile = join(dir, 'population');
await writeFile(populationFile, POPULATION.join('\n') + '\n');
const bind = await Bind.start([{ origin: DOMAIN, records: `
moray 30 IN A 10.0.0.1
moray 30 IN A 10.0.0.2
moray 30 IN A 10.0.0.3
a.moray 30 IN A 10.0.0.1
b.moray 30 IN A 10.0.0.2
c.moray 30 IN A 10.0.0.3
_moray._tcp.moray 60 IN SRV 0 10 2021 a.moray
_moray._tcp.moray 60 IN SRV 0 10 2021 b.moray
_moray._tcp.moray 60 IN SRV 0 10 2021 c.moray
` }]);
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
  for (let i = 0; i < POPULATION.length; i++) {
    await store.putEphemeral(`/us/joyent/coal/moray/i${i}`, hostRecordJson({ type: 'moray_host', address: `10.1.${i >> 8}.${i & 255}`, ports: [2021], ttl: 30 }));
  }
  const lastName = `i${POPULATION.length - 1}.moray.${DOMAIN}`;
  const shortA = async (p: number) => (await run('dig', ['@127.0.0.1', '-p', String(p), '+short', 'A', lastName])).stdout.trim();
  await waitFor('both herald serves to have the population', async () => (await shortA(port).catch(() => '')) !== '' && (await shortA(rrlPort).catch(() => '')) !== '', 20_000, 100);

  // Interleaved halves, so a burst of load from elsewhere on the machine hits both alike.
  const halves: [Result[], Result[]] = [[], []];
  for (let round = 0; round < 2; round++) {
    halves[0].push(await dnsperf(bind.port, queryFile));
    halves[1].push(await dnsperf(port, queryFile));
  }
  const mean = (rs: Result[]): Result => ({
    qps: rs.reduce((a, r) => a + r.qps, 0) / rs.length,
    latencyMs: rs.reduce((a, r) => a + r.latencyMs, 0) / rs.length,
    lost: rs.reduce((a, r) => a + r.lost, 0),
  });
  const b = mean(halves[0]);
  const h = mean(halves[1]);
  const line = (name: string, r: Result) => `${name.padEnd(14)} ${r.qps.toFixed(0).padStart(8)} q/s  avg latency ${r.latencyMs.toFixed(3)} ms  lost ${r.lost}`;
  console.log(`server queries/s (dnsperf, 2 x ${HALF_SECONDS} s each, interleaved, ${QUERIES.length} query kinds: SRV + A, 3 instances)`);
  console.log(line('BIND named', b));
  console.log(line(`herald serve`, h) + `  (${THREADS} UDP threads)`);
  console.log(`ratio herald/BIND: ${(h.qps / b.qps).toFixed(2)}x (target >= 1.0x)`);

  const rrlHalves: [Result[], Result[]] = [[], []];
  for (let round = 0; round < 2; round++) {
    rrlHalves[0].push(await dnsperf(port, populationFile));
    rrlHalves[1].push(await dnsperf(rrlPort, populationFile));
  }
  const off = mean(rrlHalves[0]);
  const on = mean(rrlHalves[1]);
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
  await rm(dir, { recursive: true, force: true });
}
