// Figure: lease takeover time, beside the session timeout it depends on.
//  - after a holder's death (kill -9 of a process holding the lease): the
//    next waiter holds once ZooKeeper expires the dead session;
//  - after a release (a drain): the next waiter holds as soon as the node
//    is deleted, whatever the session timeout.
//  - `herald lease run` supervisors: kill -9, or SIGSTOP, of the holder's
//    supervisor alone: time to its command's last line (the lease watchdog
//    stops it) and to the next holder's command's first line.
// Anchor: the session timeout itself, in the same run. Bounded: DEATHS
// kill -9 rounds (~ session timeout each), RELEASES handovers and FAULTS
// supervisor kills and freezes (~ session timeout each), < 60 s.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireLease } from '../src/lease/acquire.ts';
import { leaseStatus } from '../src/lease/status.ts';
import { ZooKeeperStore } from '../src/registry/store-zookeeper.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';
import { waitFor } from '../test/fixtures/wait.ts';
import { cleanUp, intervals, readLog, startCandidate, type Candidate } from '../test/lease/helpers.ts';

const SESSION_MS = Number(process.env['BENCH_SESSION_MS'] ?? 2000);
const DEATHS = Number(process.env['BENCH_DEATHS'] ?? 6);
const RELEASES = Number(process.env['BENCH_RELEASES'] ?? 30);
const FAULTS = Number(process.env['BENCH_FAULTS'] ?? 5);

if (process.argv[2] === 'holder') {
  // The holder process: hold the lease, say so, wait to be killed.
  const [, , , connect, name] = process.argv as string[];
  await acquireLease(name!, { zk: connect!, sessionTimeoutMs: SESSION_MS, instance: 'doomed' });
  process.stdout.write('held\n');
  setInterval(() => undefined, 1 << 30);
} else {
  await main();
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${pct(s, 0.5).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms (n=${s.length})`;
}

async function main(): Promise<void> {
  const zk = await ZooKeeper.start({ tickTime: 250 });
  const store = ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs: SESSION_MS });
  try {
    await store.ready(10_000);
    const negotiated = store.sessionTimeoutMs;

    const deaths: number[] = [];
    for (let i = 0; i < DEATHS; i++) {
      const name = `death-${i}`;
      const holder = spawn(process.execPath, [fileURLToPath(import.meta.url), 'holder', zk.connectString, name], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => holder.once('exit', r));
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('held')) resolve(); });
        holder.once('exit', () => reject(new Error('the holder exited early')));
      });
      const waiting = acquireLease(name, { store, instance: 'next' });
      while ((await leaseStatus(store, name)).queue.length < 1) await new Promise((r) => setTimeout(r, 5));
      const killedAt = performance.now();
      holder.kill('SIGKILL');
      const lease = await waiting;
      deaths.push(performance.now() - killedAt);
      await lease.release();
      await exited;
    }

    const releases: number[] = [];
    const other = ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs: SESSION_MS });
    await other.ready(10_000);
    try {
      for (let i = 0; i < RELEASES; i++) {
        const held = await acquireLease('release', { store: other, instance: 'first' });
        const waiting = acquireLease('release', { store, instance: 'next' });
        while ((await leaseStatus(store, 'release')).queue.length < 1) await new Promise((r) => setTimeout(r, 2));
        const releasedAt = performance.now();
        await held.release();
        const lease = await waiting;
        releases.push(performance.now() - releasedAt);
        await lease.release();
      }
    } finally {
      await other.close();
    }

    const kills = await supervisorFaults(zk.connectString, 'SIGKILL');
    const freezes = await supervisorFaults(zk.connectString, 'SIGSTOP');

    const p50 = (ms: number[]) => pct([...ms].sort((a, b) => a - b), 0.5);
    console.log(`lease takeover, ZooKeeper standalone (tickTime 250 ms), session timeout ${negotiated} ms (the anchor)`);
    console.log(`after kill -9 of the holder: ${summary(deaths)}  ratio to the session timeout: ${(p50(deaths) / negotiated).toFixed(2)}x`);
    console.log(`after a release (drain):     ${summary(releases)}  ratio to the session timeout: ${(p50(releases) / negotiated).toFixed(4)}x`);
    const window = SESSION_MS - SESSION_MS / 3;
    for (const [what, f] of [['kill -9', kills], ['SIGSTOP', freezes]] as const) {
      console.log(`herald lease run, ${what} of the holder's supervisor -> its command's end: ${summary(f.commandEnd)}  ratio to the session timeout: ${(p50(f.commandEnd) / negotiated).toFixed(3)}x (trusted window ${window.toFixed(0)} ms)`);
      console.log(`herald lease run, ${what} of the holder's supervisor -> next holder's command: ${summary(f.nextStart)}  ratio to the session timeout: ${(p50(f.nextStart) / negotiated).toFixed(2)}x`);
    }
  } finally {
    await store.close();
    await zk.stop();
  }
}

/**
 * FAULTS rounds of `herald lease run` candidates (worker.sh logging): kill
 * -9 or SIGSTOP of the holder's supervisor alone; a fresh candidate keeps
 * one waiting. Returns, per round, ms from the fault to the holder's command's
 * last log line and to the next holder's first.
 */
async function supervisorFaults(zk: string, sig: 'SIGKILL' | 'SIGSTOP'): Promise<{ commandEnd: number[]; nextStart: number[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-bench-lease-'));
  const log = join(dir, 'log');
  const name = `faults-${sig}`;
  const candidates: Candidate[] = [];
  const add = (): void => { candidates.push(startCandidate({ zk, name, instance: `c${candidates.length}`, log, sessionMs: SESSION_MS })); };
  const commandEnd: number[] = [];
  const nextStart: number[] = [];
  try {
    add(); add();
    let holder = await waitFor('a holder', async () => intervals(await readLog(log))[0], 30_000, 10);
    for (let i = 0; i < FAULTS; i++) {
      await new Promise((r) => setTimeout(r, 150));
      const at = Date.now();
      candidates.find((c) => c.instance === holder.instance)!.child.kill(sig);
      add();
      const next = await waitFor('the next holder', async () => intervals(await readLog(log)).find((x) => x.token > holder.token), 30_000, 5);
      const old = intervals(await readLog(log)).find((x) => x.token === holder.token)!;
      commandEnd.push(old.end - at);
      nextStart.push(next.start - at);
      holder = next;
    }
  } finally {
    await cleanUp(candidates, log);
    await rm(dir, { recursive: true, force: true });
  }
  return { commandEnd, nextStart };
}
