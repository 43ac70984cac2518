import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import {
  CANDIDATE, NODE, assertExclusive, cleanUp, intervals, killGroup, readLog, startCandidate, type Candidate,
} from './helpers.ts';

// Real processes on a real ZooKeeper: `herald lease run` candidates appending
// start/work/stop lines with their fencing token to one shared log.
const SESSION_MS = 2000;
const zk = await ZooKeeper.start();
const dir = await mkdtemp(join(tmpdir(), 'herald-lease-'));
t.teardown(async () => { await zk.stop(); await rm(dir, { recursive: true, force: true }); });

function setUp(t: Test, name: string): { log: string; candidates: Candidate[] } {
  const log = join(dir, `${name}.log`);
  const candidates: Candidate[] = [];
  t.teardown(() => cleanUp(candidates, log));
  return { log, candidates };
}

t.test('three candidates, two rounds each: exactly one runs at any moment, tokens strictly increase', async (t) => {
  const { log, candidates } = setUp(t, 'three');
  const runs: Promise<number | null>[] = [];
  for (const instance of ['a', 'b', 'c']) {
    runs.push((async () => {
      for (let round = 0; round < 2; round++) {
        const c = startCandidate({ zk: zk.connectString, name: 'three', instance, log, sessionMs: SESSION_MS, workUnits: 4 });
        candidates.push(c);
        const code = await c.exited;
        if (code !== 0) return code;
      }
      return 0;
    })());
  }
  t.same(await Promise.all(runs), [0, 0, 0], 'every run exits with its command\'s status');
  const list = intervals(await readLog(log));
  t.equal(list.length, 6, 'six runs');
  t.ok(list.every((i) => i.stopped && i.lines.filter((l) => l.what === 'work').length === 4), 'each ran to its end');
  assertExclusive(t, list);
});

t.test('kill -9 of the holder: another holds within the session timeout', async (t) => {
  const { log, candidates } = setUp(t, 'kill');
  for (const instance of ['a', 'b', 'c']) candidates.push(startCandidate({ zk: zk.connectString, name: 'kill', instance, log, sessionMs: SESSION_MS }));
  const first = await waitFor('a holder', async () => intervals(await readLog(log))[0], 15_000, 20);
  await sleep(200);
  const holder = candidates.find((c) => c.instance === first.instance)!;
  // The whole instance dies: its supervisor and its command.
  const killedAt = Date.now();
  killGroup(holder.child.pid, 'SIGKILL');
  killGroup(first.pid, 'SIGKILL');
  const next = await waitFor('the next holder', async () => intervals(await readLog(log)).find((i) => i.token > first.token), 15_000, 20);
  const takeover = next.start - killedAt;
  t.ok(takeover < SESSION_MS + 2500, `taken over ${takeover} ms after the kill (session timeout ${SESSION_MS} ms)`);
  t.not(next.instance, first.instance);
  const list = intervals(await readLog(log));
  assertExclusive(t, list);
});

t.test('the holder frozen past its session: on waking it stops its command before any more work', async (t) => {
  const { log, candidates } = setUp(t, 'freeze');
  for (const instance of ['a', 'b']) candidates.push(startCandidate({ zk: zk.connectString, name: 'freeze', instance, log, sessionMs: SESSION_MS }));
  const first = await waitFor('a holder', async () => intervals(await readLog(log))[0], 15_000, 20);
  await sleep(200);
  const holder = candidates.find((c) => c.instance === first.instance)!;
  killGroup(holder.child.pid, 'SIGSTOP');
  killGroup(first.pid, 'SIGSTOP');
  const next = await waitFor('the next holder', async () => intervals(await readLog(log)).find((i) => i.token > first.token), 15_000, 20);
  await sleep(300);
  // Wake the supervisor only: its command stays frozen unless the supervisor
  // itself resumes it, so any "work" line of the old token would come from
  // a supervisor that let it run on.
  const wokeAt = Date.now();
  killGroup(holder.child.pid, 'SIGCONT');
  const code = await holder.exited;
  t.equal(code, 1, 'exits 1: the lease was lost');
  t.match(holder.stderr, /lease freeze (may be )?lost.*command stopped/, 'says so in one line');
  const old = intervals(await readLog(log)).find((i) => i.token === first.token)!;
  t.ok(old.stopped, 'its command was stopped (SIGTERM, its stop line)');
  const stop = old.lines.find((l) => l.what === 'stop')!;
  t.ok(stop.at - wokeAt < 1000, `stopped ${stop.at - wokeAt} ms after waking`);
  t.same(old.lines.filter((l) => l.what === 'work' && l.at >= next.start), [], 'no work of the old token after the new holder started');
  t.ok(next.token > first.token, `the new holder's token ${next.token} > ${first.token}`);
});

t.test('a library holder frozen in its work loop: no unit of work after waking', async (t) => {
  const log = join(dir, 'inproc.log');
  const children = ['a', 'b'].map((instance) => {
    const child = spawn(NODE, [CANDIDATE, zk.connectString, 'inproc', instance, log, String(SESSION_MS)], { detached: true, stdio: 'inherit' });
    return { instance, child, exited: new Promise<number | null>((r) => child.once('exit', r)) };
  });
  t.teardown(async () => { for (const c of children) { killGroup(c.child.pid, 'SIGCONT'); killGroup(c.child.pid, 'SIGKILL'); } await Promise.all(children.map((c) => c.exited)); });
  const first = await waitFor('a holder', async () => intervals(await readLog(log))[0], 15_000, 20);
  await sleep(200);
  const holder = children.find((c) => c.instance === first.instance)!;
  killGroup(holder.child.pid, 'SIGSTOP');
  const frozenAt = Date.now();
  const next = await waitFor('the next holder', async () => intervals(await readLog(log)).find((i) => i.token > first.token), 15_000, 20);
  t.ok(next.start - frozenAt < SESSION_MS + 2500, `the next holder started ${next.start - frozenAt} ms after the freeze`);
  await sleep(300);
  killGroup(holder.child.pid, 'SIGCONT');
  t.equal(await holder.exited, 0);
  const old = intervals(await readLog(log)).find((i) => i.token === first.token)!;
  t.ok(old.stopped, 'it noticed and stopped');
  t.same(old.lines.filter((l) => l.what === 'work' && l.at >= frozenAt + 100), [], 'no work line after the freeze');
  killGroup(children.find((c) => c !== holder)!.child.pid, 'SIGKILL');
});

t.test('drain (SIGTERM) of the holder: the lease moves at once, not after a timeout', async (t) => {
  const { log, candidates } = setUp(t, 'drain');
  const long = 10_000; // a takeover by expiry would take this long
  for (const instance of ['a', 'b']) candidates.push(startCandidate({ zk: zk.connectString, name: 'drain', instance, log, sessionMs: long }));
  const first = await waitFor('a holder', async () => intervals(await readLog(log))[0], 15_000, 20);
  await sleep(200);
  const holder = candidates.find((c) => c.instance === first.instance)!;
  const drainedAt = Date.now();
  holder.child.kill('SIGTERM');
  const next = await waitFor('the next holder', async () => intervals(await readLog(log)).find((i) => i.token > first.token), 5000, 10);
  t.ok(next.start - drainedAt < 3000, `moved ${next.start - drainedAt} ms after the drain (session timeout ${long} ms)`);
  t.equal(await holder.exited, 0, 'the command stopped cleanly (its TERM trap exits 0)');
  assertExclusive(t, intervals(await readLog(log)));
});
