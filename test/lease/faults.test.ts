import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import {
  assertTokensNeverGoBack, checkTakeover, cleanUp, nextHolder, readLog, spread, startCandidate, type Candidate,
} from './helpers.ts';

// Faults of the process between the lease and the command: `herald lease run`
// (the supervisor) killed or frozen, the lease watchdog killed, the command
// killed. Real ZooKeeper, real processes, one log the commands append to.
const SESSION_MS = 2000;
// The trusted window: session timeout less the default margin (a third).
const WINDOW_MS = SESSION_MS - SESSION_MS / 3;
// A session that was not released expires S after the last request ZooKeeper
// got from it, which is at most a renewal or a ping (S/3) before the fault:
// so a next holder starts no sooner than the window after it.
const zk = await ZooKeeper.start();
const dir = await mkdtemp(join(tmpdir(), 'herald-lease-faults-'));
t.teardown(async () => { await zk.stop(); await rm(dir, { recursive: true, force: true }); });

function rig(t: Test, name: string): { log: string; spawn(): Candidate; of(instance: string): Candidate } {
  const log = join(dir, `${name}.log`);
  const candidates: Candidate[] = [];
  t.teardown(async () => {
    if (!t.passing()) for (const c of candidates) t.comment(`${c.instance}: ${c.stderr}`);
    await cleanUp(candidates, log);
  });
  let n = 0;
  return {
    log,
    spawn() {
      const c = startCandidate({ zk: zk.connectString, name, instance: `${name}-${n++}`, log, sessionMs: SESSION_MS });
      candidates.push(c);
      return c;
    },
    of: (instance) => candidates.find((c) => c.instance === instance)!,
  };
}

t.test('kill -9 of the holder\'s herald lease run, 10 times: its command is gone inside the trusted window, before the next holder starts', async (t) => {
  const r = rig(t, 'kill9');
  r.spawn(); r.spawn();
  let holder = await nextHolder(r.log, -1, 30_000); // three node processes starting on a loaded machine
  const ends: number[] = [];
  const starts: number[] = [];
  for (let round = 0; round < 10; round++) {
    await sleep(150);
    const killedAt = Date.now();
    r.of(holder.instance).child.kill('SIGKILL'); // the supervisor alone: its watchdog and command are left to themselves
    r.spawn(); // keep one waiting
    const { next, figures } = await checkTakeover(t, r.log, holder, killedAt, WINDOW_MS);
    t.ok(figures.nextStartMs >= WINDOW_MS, `the next holder started ${figures.nextStartMs} ms after the kill: it waited for the session to expire`);
    ends.push(figures.commandEndMs);
    starts.push(figures.nextStartMs);
    holder = next;
  }
  assertTokensNeverGoBack(t, await readLog(r.log));
  t.comment(`kill -9 to the command's last line: ${spread(ends)}; to the next holder's first: ${spread(starts)} (session timeout ${SESSION_MS} ms)`);
});

t.test('SIGSTOP of the holder\'s supervisor past its session: its command stops before another holder starts; SIGCONT: it exits 1', async (t) => {
  const r = rig(t, 'freeze');
  r.spawn(); r.spawn();
  const holder = await nextHolder(r.log, -1, 30_000); // three node processes starting on a loaded machine
  await sleep(150);
  const supervisor = r.of(holder.instance);
  const frozenAt = Date.now();
  supervisor.child.kill('SIGSTOP');
  const { next, figures } = await checkTakeover(t, r.log, holder, frozenAt, WINDOW_MS);
  t.ok(figures.nextStartMs >= WINDOW_MS, `the next holder started ${figures.nextStartMs} ms after the freeze: it waited for the session to expire`);
  await sleep(300);
  supervisor.child.kill('SIGCONT');
  t.equal(await supervisor.exited, 1, 'the woken supervisor exits 1');
  t.match(supervisor.stderr, /lease freeze (may be )?lost.*command stopped/);
  const lines = await readLog(r.log);
  t.ok(lines.some((l) => l.token === holder.token && l.what === 'stop'), 'the frozen holder\'s command got SIGTERM (its stop line)');
  assertTokensNeverGoBack(t, lines);
  t.ok(next.token > holder.token);
});

t.test('kill -9 of the watchdog: the supervisor stops the command and gives the lease up; kill -9 of the command: the lease is given up', async (t) => {
  const r = rig(t, 'parts');
  r.spawn(); r.spawn(); r.spawn();
  const first = await nextHolder(r.log, -1, 30_000); // three node processes starting on a loaded machine
  await sleep(150);
  const killedAt = Date.now();
  process.kill(first.ppid, 'SIGKILL'); // the command's parent is the watchdog
  const sup = r.of(first.instance);
  t.equal(await sup.exited, 1, 'herald lease run exits 1');
  t.match(sup.stderr, /watchdog died; command stopped/);
  const { next: second, figures } = await checkTakeover(t, r.log, first, killedAt, WINDOW_MS);
  t.ok(figures.nextStartMs < SESSION_MS, `given up, not left to expire: the next holder started ${figures.nextStartMs} ms after`);

  await sleep(150);
  const killed2At = Date.now();
  process.kill(second.pid, 'SIGKILL');
  const sup2 = r.of(second.instance);
  t.equal(await sup2.exited, 137, 'herald lease run exits with the command\'s status (128 + 9)');
  const { figures: f2 } = await checkTakeover(t, r.log, second, killed2At, WINDOW_MS);
  t.ok(f2.nextStartMs < SESSION_MS, `given up at once: the next holder started ${f2.nextStartMs} ms after`);
  assertTokensNeverGoBack(t, await readLog(r.log));
});
