// Whole-system timings under load (~300 requests/s), real processes on
// loopback: ZooKeeper, two herald serve, three instances (service + herald
// sidecar), one client (Resolver + BalancedAgent). Each figure is printed
// beside its floor — the record TTL or the ZooKeeper session timeout — and
// the ratio. Run: node_modules/.bin/node bench/e2e-update.ts
import { spawnSync } from 'node:child_process';
import { InstanceProcess } from '../src/demo/instance-process.ts';
import { Cluster, MAIN, srvTargets, type Instance } from '../test/e2e/harness.ts';
import { waitFor } from '../test/fixtures/wait.ts';

const TTL_S = 2;
const SESSION_MS = 3000;
const TTL_MARGIN_MS = 500; // the sidecar's drain.ttlMargin in the harness
const HARD_LIMIT_MS = 90_000;

const limit = setTimeout(() => {
  console.error(`bench/e2e-update: over ${HARD_LIMIT_MS / 1000} s, giving up`);
  process.exit(1);
}, HARD_LIMIT_MS);
limit.unref();

const s = (ms: number | undefined): string => (ms === undefined ? '   n/a' : `${(ms / 1000).toFixed(2).padStart(6)} s`);
function line(what: string, ms: number | undefined, floorName: string, floorMs: number): void {
  const ratio = ms === undefined ? 'n/a' : `${(ms / floorMs).toFixed(2)}×`;
  console.log(`${what.padEnd(48)} ${s(ms)}   floor ${floorName.padEnd(22)} ${s(floorMs)}   ratio ${ratio}`);
}

/** When the client's rotation first lacked / held the port, at or after `since`. */
function rotationChange(c: Cluster, port: number, since: number, present: boolean): number | undefined {
  return c.client!.history.find((h) => h.at >= since && h.ports.includes(port) === present)?.at;
}

async function outOfDns(c: Cluster, i: Instance): Promise<void> {
  await waitFor(`${i.name} out of DNS`, async () => {
    const all = await Promise.all(c.nameservers.map((ns) => srvTargets(ns, c.srvName)));
    return all.every((t) => t !== undefined && !t.includes(i.target));
  }, 20_000, 10);
}

// Anchor for restarts, here, now: the two processes an instance restart
// starts, each alone — the demo service until it listens, and the herald CLI
// loading its sidecar command (`herald sidecar --help`).
async function processStarts(): Promise<{ service: number; cli: number }> {
  let service = Infinity;
  let cli = Infinity;
  for (let k = 0; k < 3; k++) {
    const p = new InstanceProcess({ name: 'anchor' });
    const t0 = performance.now();
    await p.start();
    service = Math.min(service, performance.now() - t0);
    await p.kill();
    const t1 = performance.now();
    spawnSync(process.execPath, [MAIN, 'sidecar', '--help']);
    cli = Math.min(cli, performance.now() - t1);
  }
  return { service, cli };
}
const starts = await processStarts();
const restartFloor = starts.service + starts.cli;

const c = await Cluster.start({ rps: 300, ttl: TTL_S, sessionTimeoutMs: SESSION_MS, clientTickMs: 50 });
try {
  const client = c.client!;
  console.log(`e2e-update: 3 instances, 2 herald serve, ZooKeeper session timeout ${SESSION_MS} ms, TTL ${TTL_S} s, ~300 GET/s`);

  // kill -9 of one whole instance (service and sidecar).
  const victim = c.instance('web-2');
  const retriesBefore = client.stats?.retries ?? 0;
  const killed = Date.now();
  await victim.kill9();
  await outOfDns(c, victim);
  const goneDns = Date.now() - killed;
  await waitFor('the client to drop it', () => !client.has(victim.port), 10_000, 10);
  await new Promise((r) => setTimeout(r, 1000));
  const lastRetry = [...client.statsHistory].reverse().find((h, k, arr) => h.at >= killed && (arr[k + 1]?.retries ?? retriesBefore) < h.retries);
  const lastError = lastRetry ? lastRetry.at - killed : undefined;
  console.log(`\nkill -9 of ${victim.name} under load (${(client.stats?.retries ?? 0) - retriesBefore} attempts retried elsewhere, ${client.failures.length} requests failed):`);
  line('  → last client error (attempt retried)', lastError, 'TTL', TTL_S * 1000);
  line('  → gone from DNS (both nameservers)', goneDns, 'session timeout', SESSION_MS);
  line('  → out of the client\'s rotation', (rotationChange(c, victim.port, killed, false) ?? Date.now()) - killed, 'session timeout + TTL', SESSION_MS + TTL_S * 1000);
  await victim.start();
  await c.waitInDns(c.instances);
  await c.waitInRotation(c.instances);

  // Rolling update through the CLI, one instance at a time.
  console.log(`\nrolling update (herald drain → restart → herald resume); alone, the service starts in ${starts.service.toFixed(0)} ms and the herald CLI in ${starts.cli.toFixed(0)} ms`);
  for (const i of c.instances) {
    const asked = Date.now();
    const drained = await c.drain(i);
    const drainCli = Date.now() - asked;
    const status = JSON.parse(drained.stdout || '{}') as { drain?: { phase: string; startedAt: number; endedAt?: number; phases: { phase: string; ms: number }[] } };
    const d = status.drain;
    const t0 = Date.now();
    await i.stop();
    await i.start();
    const restart = Date.now() - t0;
    const resumedAt = Date.now();
    await c.resume(i);
    await c.waitInRotation([i], 20_000);
    const back = (rotationChange(c, i.port, resumedAt, true) ?? Date.now()) - resumedAt;
    console.log(`${i.name}: ${d?.phase ?? 'no status'} [${(d?.phases ?? []).map((p) => `${p.phase} ${(p.ms / 1000).toFixed(2)}`).join(', ')}]`);
    line('  drain (sidecar, request → drained)', d?.endedAt !== undefined ? d.endedAt - d.startedAt : undefined, 'TTL + margin', TTL_S * 1000 + TTL_MARGIN_MS);
    line('  drain (herald drain, process start → exit)', drainCli, 'TTL + margin', TTL_S * 1000 + TTL_MARGIN_MS);
    line('  restart (stop → service + sidecar started)', restart, 'service + CLI start', restartFloor);
    line('  back in rotation (herald resume → client)', back, 'TTL', TTL_S * 1000);
  }
  await client.answered(300);
  const done = await client.stop();
  console.log(`\nrequests: ${done.ok} answered, ${done.failed} failed${done.failed ? ` ${JSON.stringify(done.failures.slice(0, 3))}` : ''}`);
  process.exitCode = done.failed === 0 ? 0 : 1;
} finally {
  await c.stop();
}
