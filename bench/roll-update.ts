// A rolling update of 3 instances, record TTL 10 s, under load (~300 GET/s
// through BalancedAgent), real processes on loopback: `herald roll
// --fast-ttl 1` against the loop a caller writes today (herald drain →
// restart → herald resume → herald wait --in, per instance) and against the
// floor: the old TTL once + N × (fast TTL + restart), the restart measured
// in this run. Prints the totals, the ratios, and the failed requests of
// each (both must be 0). Run: node_modules/.bin/node bench/roll-update.ts
import { Cluster, heraldRun } from '../test/e2e/harness.ts';
import { Control } from '../test/roll/control.ts';

const TTL_S = 10;
const FAST_TTL_S = 1;
const TTL_MARGIN_MS = 500; // the sidecar's drain.ttlMargin in the harness
const HARD_LIMIT_MS = 240_000;

const limit = setTimeout(() => {
  console.error(`bench/roll-update: over ${HARD_LIMIT_MS / 1000} s, giving up`);
  process.exit(1);
}, HARD_LIMIT_MS);
limit.unref();

const s = (ms: number): string => `${(ms / 1000).toFixed(1).padStart(6)} s`;

const c = await Cluster.start({ rps: 300, ttl: TTL_S, sessionTimeoutMs: 3000, oneByOne: true });
const control = await new Control(c).start();
control.restart = 'instance'; // as the loop: service and sidecar
try {
  const client = c.client!;
  const ns = c.nameservers.join(',');
  console.log(`roll-update: 3 instances, 2 herald serve, record TTL ${TTL_S} s, ~300 GET/s (figures under whatever load the machine has)`);

  // The loop a caller writes today.
  const loopStart = Date.now();
  const loopRestarts: number[] = [];
  for (const i of c.instances) {
    const d = await c.drain(i, 60);
    if (d.code !== 0) throw new Error(`herald drain ${i.name}: ${d.stderr}`);
    const t0 = Date.now();
    await i.stop();
    await i.start();
    loopRestarts.push(Date.now() - t0);
    const r = await c.resume(i);
    if (r.code !== 0) throw new Error(`herald resume ${i.name}: ${r.stderr}`);
    const w = await heraldRun(['wait', '--in', i.target, '127.0.0.1', '--nameservers', ns, '--timeout', '30', '--interval', '0.1']);
    if (w.code !== 0) throw new Error(`herald wait ${i.name}: ${w.stderr}`);
  }
  const loopMs = Date.now() - loopStart;
  await client.answered(100);
  const loopFailed = client.failures.length;
  await c.waitInDns(c.instances);

  // herald roll --fast-ttl.
  const rollStart = Date.now();
  const r = await heraldRun(['roll', '--zk', c.connectString, '--nameservers', ns, c.domain, '--fast-ttl', String(FAST_TTL_S), '--timeout', '60', '--json', ...control.command()], 180_000);
  const rollMs = Date.now() - rollStart;
  if (r.code !== 0) throw new Error(`herald roll: ${r.stderr.slice(-2000)}`);
  const summary = JSON.parse(r.stdout) as { fastTtl?: { honoured: boolean }; instances: { instance: string; drainTtlMs?: number }[] };
  await client.answered(100);
  const rollFailed = client.failures.length - loopFailed;

  const restarts = control.log.map((x) => x.ms ?? 0);
  const restartMs = restarts.reduce((a, b) => a + b, 0) / restarts.length;
  const floorMs = TTL_S * 1000 + c.instances.length * (FAST_TTL_S * 1000 + restartMs);
  console.log(`restart (service + sidecar): roll ${restarts.map((x) => s(x).trim()).join(', ')}; loop ${loopRestarts.map((x) => s(x).trim()).join(', ')}`);
  console.log(`drain TTL phases in the roll: ${summary.instances.map((i) => `${i.instance} ${s(i.drainTtlMs ?? 0).trim()}`).join(', ')} (fast TTL honoured: ${summary.fastTtl?.honoured})`);
  console.log(`${'drain/restart/resume/wait loop'.padEnd(34)} ${s(loopMs)}   failed requests ${loopFailed}`);
  console.log(`${`herald roll --fast-ttl ${FAST_TTL_S}`.padEnd(34)} ${s(rollMs)}   failed requests ${rollFailed}`);
  console.log(`${'floor: TTL + N × (fast TTL + restart)'.padEnd(34)} ${s(floorMs)}   (TTL margin ${TTL_MARGIN_MS} ms per drain not in it)`);
  console.log(`ratio roll / loop  ${(rollMs / loopMs).toFixed(2)}×   (target ≤ 0.5×)`);
  console.log(`ratio roll / floor ${(rollMs / floorMs).toFixed(2)}×`);
  const done = await client.stop();
  console.log(`requests: ${done.ok} answered, ${done.failed} failed`);
  process.exitCode = done.failed === 0 && rollFailed === 0 && loopFailed === 0 ? 0 : 1;
} finally {
  await control.stop();
  await c.stop();
}
