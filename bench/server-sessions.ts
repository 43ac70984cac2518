// Figure: 1,000 sidecars' worth of sessions on one ZooKeeper. SESSIONS raw
// ZooKeeper sessions (as registrars hold them) each own the ephemeral host
// node of one instance, in SERVICES services; `herald serve` mirrors them.
// Then sidecars restart at each rate of RATES per second — a session
// closes (ZooKeeper deletes its node: a leave) and a new one registers the
// instance again (a join), so each restart is two changes — while a probe
// instance joins and leaves every PROBE_MS. Printed per rate: the restarts
// reached, and propagation p50/p99 of the probe (write issued → answer
// changed) beside its anchor from the same run: a bare ZooKeeper client
// watching the same service's children (write issued → watch fired and
// children read), the floor any mirror has. Target (DESIGN.md): p99 <= 50 ms.
// Bounded: SECONDS per rate; at most MAX_RESTARTS_IN_FLIGHT restarts at once.
// herald serve runs with --rrl off: the back-to-back poller is a flood by RRL's measure.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { RecordType } from '../src/dns/index.ts';
import { freePort } from '../test/fixtures/ports.ts';
import { reapOnExit } from '../test/fixtures/reap.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';
import { percentile, UdpAsker } from './lib/udp-query.ts';
import { addressOf, hostJson, isNodeExists, serviceJson, ZkWriter } from './lib/zk-writer.ts';

const SESSIONS = Number(process.env['SESSIONS'] ?? 1000);
const SERVICES = 10;
const RATES = (process.env['RATES'] ?? '0,20,100').split(',').map(Number);
const SECONDS = Number(process.env['SECONDS'] ?? 5);
const PROBE_MS = 100;
const MAX_RESTARTS_IN_FLIGHT = 64;
const THREADS = availableParallelism();
const DOMAIN = 'sess.test';
const ROOT = '/test/sess';

const instancePath = (i: number) => `${ROOT}/svc${i % SERVICES}/i${i}`;

async function register(zk: ZooKeeper, i: number): Promise<ZkWriter> {
  const session = await ZkWriter.open(zk.connectString, 20_000);
  // A restart closes the old session without waiting: until ZooKeeper has closed it, its node is still there.
  for (let tries = 1; ; tries++) {
    try {
      await session.create(instancePath(i), hostJson(addressOf(i), 80), true);
      return session;
    } catch (err) {
      if (!isNodeExists(err) || tries >= 50) { session.close(); throw err; }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const zk = await ZooKeeper.start({ maxClientCnxns: SESSIONS + 50 });
const admin = await ZkWriter.open(zk.connectString);
const sessions: (ZkWriter | undefined)[] = new Array(SESSIONS);
let herald: ReturnType<typeof spawn> | undefined;
try {
  for (let s = 0; s < SERVICES; s++) await admin.mkdirp(`${ROOT}/svc${s}`, serviceJson('_http', 80));
  const tw = performance.now();
  await ZkWriter.pool(Array.from({ length: SESSIONS }, (_, i) => i), 32, async (i) => { sessions[i] = await register(zk, i); });
  console.error(`${SESSIONS} sessions, each with its instance, opened in ${((performance.now() - tw) / 1000).toFixed(1)} s`);

  const port = await freePort();
  const t0 = performance.now();
  herald = spawn(process.execPath, ['src/cli/main.ts', 'serve', '--zk', zk.connectString, '--domain', DOMAIN, '--listen', `127.0.0.1:${port}`, '--threads', String(THREADS), '--rrl', 'off', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  reapOnExit(herald);
  const asker = await UdpAsker.open(port);
  const last = `i${SESSIONS - 1}.svc${(SESSIONS - 1) % SERVICES}.${DOMAIN}`;
  for (;;) {
    const m = await asker.ask(last, RecordType.A, 500);
    if (m && m.rcode === 0 && m.answers.length === 1) break;
    if (performance.now() - t0 > 120_000) throw new Error('no full answer from herald serve in 120 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const syncS = (performance.now() - t0) / 1000;

  // The bare watcher: resolves `pending` when the probe's presence among svc0's children is as wanted.
  let pending: { want: boolean; resolve: (at: number) => void } | undefined;
  const watch = admin.watchChildren(`${ROOT}/svc0`, (children) => {
    if (pending && children.includes('probe') === pending.want) { pending.resolve(performance.now()); pending = undefined; }
  });
  const probeName = `probe.svc0.${DOMAIN}`;
  const probeAddress = addressOf(16_000_000);

  /** One probe change: [herald ms, bare watcher ms]. */
  async function probe(joining: boolean): Promise<[number, number]> {
    const ts = performance.now();
    const watched = new Promise<number>((resolve) => { pending = { want: joining, resolve }; });
    if (joining) await admin.create(`${ROOT}/svc0/probe`, hostJson(probeAddress, 80), true);
    else await admin.remove(`${ROOT}/svc0/probe`);
    for (;;) {
      const m = await asker.ask(probeName, RecordType.A, 200);
      const has = !!m?.answers.some((r) => (r as { address?: string }).address === probeAddress);
      if (m && has === joining) break;
      if (performance.now() - ts > 10_000) throw new Error('probe change not visible in 10 s');
    }
    const served = performance.now() - ts;
    const timeout = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('the bare watcher saw no probe change in 10 s')), 10_000).unref());
    return [served, (await Promise.race([watched, timeout])) - ts];
  }

  const rows: string[] = [];
  for (const rate of RATES) {
    let restarts = 0;
    let inFlight = 0;
    let failed: unknown;
    const restart = async (i: number): Promise<void> => {
      inFlight++;
      try {
        sessions[i]?.close();
        sessions[i] = undefined;
        sessions[i] = await register(zk, i);
        restarts++;
      } catch (err) { failed ??= err; } finally { inFlight--; }
    };
    const start = performance.now();
    let due = 0;
    const churn = rate > 0 ? setInterval(() => {
      // Restarts due by now, so the rate holds whatever the timer's granularity.
      const target = Math.floor(((performance.now() - start) / 1000) * rate);
      while (due < target && inFlight < MAX_RESTARTS_IN_FLIGHT) {
        due++;
        const i = Math.floor(Math.random() * SESSIONS);
        if (sessions[i]) void restart(i);
      }
    }, 5) : undefined;
    const heraldMs: number[] = [];
    const bareMs: number[] = [];
    let joining = true;
    while (performance.now() - start < SECONDS * 1000) {
      const next = performance.now() + PROBE_MS;
      const [h, b] = await probe(joining);
      heraldMs.push(h);
      bareMs.push(b);
      joining = !joining;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    if (churn) clearInterval(churn);
    const elapsed = (performance.now() - start) / 1000;
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
    if (failed) throw failed;
    if (!joining) await probe(false);
    heraldMs.sort((a, b) => a - b);
    bareMs.sort((a, b) => a - b);
    const cols = [rate, (restarts / elapsed).toFixed(0), percentile(heraldMs, 50).toFixed(1), percentile(heraldMs, 99).toFixed(1), percentile(bareMs, 50).toFixed(1), percentile(bareMs, 99).toFixed(1),
      `${(percentile(heraldMs, 99) / percentile(bareMs, 99)).toFixed(1)}x`];
    rows.push(cols.map((c, k) => String(c).padStart(k === 0 ? 10 : [9, 10, 9, 10, 9, 9][k - 1]!)).join(''));
  }
  watch.stop();
  asker.close();
  const rss = Math.round(Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${herald!.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  console.log(`herald serve over ${SESSIONS} ZooKeeper sessions (one instance each, ${SERVICES} services; ${THREADS} UDP threads; first full answer ${syncS.toFixed(1)} s; RSS ${rss} MB)`);
  console.log('restarts/s   reached  herald p50  p99 ms  watch p50  p99 ms  p99 vs watch');
  for (const r of rows) console.log(r);
  console.log('(a restart is a session closing — its instance leaves — and a new one registering it again; "watch" is a bare ZooKeeper client watching the same service, the floor)');
} finally {
  herald?.kill('SIGTERM');
  if (herald) await new Promise((r) => herald!.once('exit', r));
  for (const s of sessions) s?.close();
  admin.close();
  await zk.stop();
}
