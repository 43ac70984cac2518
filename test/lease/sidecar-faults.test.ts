import t from 'tap';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { sidecarDir, startSidecar, type Running } from '../sidecar/processes.ts';
import { assertTokensNeverGoBack, checkTakeover, currentHolder, killGroup, nextHolder, readLog, writeSingletonConfig, type Interval } from './helpers.ts';

// The sidecar's `singleton` under the faults of its supervisor (the sidecar
// killed or frozen), of the lease watchdog and of the command, with three
// real `herald sidecar` processes on one ZooKeeper and one shared log.
const SESSION_MS = 2000;
const WINDOW_MS = SESSION_MS - SESSION_MS / 3;
// A session that was not released expires S after the last request ZooKeeper
// got from it, which is at most a renewal or a ping (S/3) before the fault:
// so a next holder starts no sooner than the window after it.
const DOMAIN = 'jobs.coal.joyent.us';
const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());

t.test('sidecar singleton: kill -9 and SIGSTOP of the sidecar, kill -9 of the watchdog and of the command: never two commands', async (t) => {
  const d = await sidecarDir();
  const log = join(d.dir, 'lease.log');
  process.env['LEASE_LOG'] = log; // the sidecars (and so their commands) inherit it
  const sidecars = new Map<string, Running>();
  t.teardown(async () => {
    for (const s of sidecars.values()) { s.child.kill('SIGCONT'); await s.stop('SIGKILL'); }
    for (const l of await readLog(log)) { killGroup(l.pid, 'SIGKILL'); try { process.kill(l.ppid, 'SIGKILL'); } catch { /* gone */ } }
    await d.cleanup();
  });
  const start = async (instance: string): Promise<void> => {
    const file = await writeSingletonConfig(d.dir, instance, { domain: DOMAIN, zkPort: zk.ports[0]!, sessionMs: SESSION_MS, graceMs: 300 });
    sidecars.set(instance, await startSidecar(['--config', file]));
  };
  for (const instance of ['zone-a', 'zone-b', 'zone-c']) await start(instance); // one at a time: a loaded machine starts three slowly
  await nextHolder(log, -1, 30_000);
  await sleep(200);
  // Each fault hits the holder of that moment (on a loaded machine the lease may have moved by itself).
  const first = await currentHolder(log);

  // kill -9 of the holder's sidecar: its watchdog stops the command at once; the next holds after the session expires.
  const killedAt = Date.now();
  sidecars.get(first.instance)!.child.kill('SIGKILL');
  sidecars.delete(first.instance);
  const { figures: f1 } = await checkTakeover(t, log, first, killedAt, WINDOW_MS);
  t.ok(f1.nextStartMs >= WINDOW_MS, `kill -9: the next holder started ${f1.nextStartMs} ms after, once the session expired`);
  await sleep(200);

  // SIGSTOP of the holder's sidecar past its session: its command stops inside the window, before the next starts.
  const second = await currentHolder(log);
  const frozen = sidecars.get(second.instance)!;
  const frozenAt = Date.now();
  frozen.child.kill('SIGSTOP');
  const { figures: f2 } = await checkTakeover(t, log, second, frozenAt, WINDOW_MS);
  t.ok(f2.nextStartMs >= WINDOW_MS, `SIGSTOP: the next holder started ${f2.nextStartMs} ms after, once the session expired`);
  frozen.child.kill('SIGCONT');
  await sleep(200);

  // kill -9 of the watchdog (the command's parent): the sidecar stops the command and gives the lease up at once.
  // kill -9 of the command: the lease is given up; the sidecar queues again.
  for (const [what, victim] of [['watchdog', (h: Interval) => h.ppid], ['command', (h: Interval) => h.pid]] as const) {
    const holder = await currentHolder(log);
    const at = Date.now();
    process.kill(victim(holder), 'SIGKILL');
    const { figures } = await checkTakeover(t, log, holder, at, WINDOW_MS);
    t.ok(figures.nextStartMs < SESSION_MS, `${what} killed: given up, the next holder started ${figures.nextStartMs} ms after`);
    await sleep(200);
  }

  assertTokensNeverGoBack(t, await readLog(log));
  for (const [instance, s] of sidecars) t.equal(s.child.exitCode, null, `${instance}'s sidecar is still running`);
});
