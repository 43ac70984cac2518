import t from 'tap';
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { WATCHDOG_SUBCOMMAND, watchdogArgv } from '../../src/lease/watchdog-entry.ts';
import { waitFor } from '../fixtures/wait.ts';
import { MAIN, NODE } from './helpers.ts';

// The watchdog alone, spoken to over its fd 3 as the supervisor does.

interface Watchdog { link: Socket; lines: string[]; exited: Promise<number | null>; beat(validMs: number): void }

function watchdog(entry: string[], command: string, graceMs: number): Watchdog {
  const child = spawn(NODE, [...entry, JSON.stringify({ argv: ['sh', '-c', command] })], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'], detached: true });
  const link = child.stdio[3] as Socket;
  const w: Watchdog = {
    link, lines: [], exited: new Promise((r) => child.once('exit', r)),
    beat: (validMs) => link.write(`hb ${process.hrtime.bigint() + BigInt(validMs * 1e6)} ${validMs}\n`),
  };
  link.write(`start ${JSON.stringify({ graceMs, env: { FROM_START: 'yes' } })}\n`);
  link.setEncoding('utf8').on('data', (d: string) => w.lines.push(...d.split('\n').filter(Boolean)));
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  return w;
}

const pidOf = (w: Watchdog): number => Number(w.lines.find((l) => l.startsWith('pid '))!.slice(4));
const exitOf = (w: Watchdog): { code: number | null; signal: string | null; cause: string } => JSON.parse(w.lines.find((l) => l.startsWith('exit '))!.slice(5));
const groupAlive = (pid: number): boolean => { try { process.kill(-pid, 0); return true; } catch { return false; } };

t.test('heartbeats stop: SIGTERM a grace before the deadline, the group gone by the deadline (hidden subcommand entry)', async (t) => {
  const w = watchdog([MAIN, WATCHDOG_SUBCOMMAND], 'sleep 30 & trap "exit 0" TERM; while :; do sleep 0.05; done', 300);
  // Beat until it has started (node starts slowly on a loaded machine).
  await waitFor('the command started', () => { w.beat(1500); return w.lines.some((l) => l.startsWith('pid ')); }, 20_000, 100);
  const pid = pidOf(w);
  // Keep it alive for a while, then stop beating.
  for (let i = 0; i < 5; i++) { w.beat(1000); await new Promise((r) => setTimeout(r, 100)); }
  const lastBeat = performance.now();
  w.beat(1000);
  await waitFor('the exit line', () => w.lines.some((l) => l.startsWith('exit ')), 5000, 5);
  const took = performance.now() - lastBeat;
  t.same(exitOf(w), { code: 0, signal: null, cause: 'deadline' }, 'stopped by the deadline, with SIGTERM (its trap exits 0)');
  t.ok(took >= 650 && took <= 1000, `ended ${Math.round(took)} ms after the last heartbeat of 1000 ms (grace 300 ms)`);
  // Killed; a zombie until its new parent (init) reaps it.
  await waitFor('its whole group gone (the background sleep too)', () => !groupAlive(pid), 2000, 5);
  t.equal(await w.exited, 0);
});

t.test('the supervisor\'s end closes: a command that ignores SIGTERM, frozen, is SIGKILLed after the grace', async (t) => {
  const w = watchdog(watchdogArgv(), 'trap "" TERM; while :; do sleep 0.05; done', 300);
  w.beat(5000);
  await waitFor('the command started', () => w.lines.some((l) => l.startsWith('pid ')), 20_000, 5);
  const pid = pidOf(w);
  await new Promise((r) => setTimeout(r, 300)); // past its `trap` line
  process.kill(-pid, 'SIGSTOP');
  const closedAt = performance.now();
  w.link.end(); // as when the supervisor dies: its end of the socket closes
  // It exits once its command has (it is the command's parent), after SIGKILL to the group.
  t.equal(await w.exited, 0);
  const took = performance.now() - closedAt;
  t.ok(took >= 250 && took < 1000, `killed ${Math.round(took)} ms after the close (grace 300 ms)`);
  await waitFor('the group gone', () => !groupAlive(pid), 5000, 5);
});

t.test('no heartbeat fresh enough: the command never starts', async (t) => {
  const w = watchdog(watchdogArgv(), 'echo started >&2', 500);
  w.beat(400); // less than the grace
  t.equal(await w.exited, 0);
  t.same(w.lines, ['exit {"code":null,"signal":null,"cause":"deadline"}']);
});

t.test('a bad argument, or no socket on fd 3: one line, exit 2', async (t) => {
  const run = async (spec: string, fd3: 'pipe' | 'ignore'): Promise<{ code: unknown; stderr: string }> => {
    const child = spawn(NODE, [...watchdogArgv(), spec], { stdio: ['ignore', 'ignore', 'pipe', fd3] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    return { code: await new Promise((r) => child.once('exit', r)), stderr };
  };
  const bad = await run('nonsense', 'pipe');
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^herald lease watchdog: expected one JSON argument[^\n]*\n$/);
  const noLink = await run(JSON.stringify({ argv: ['true'] }), 'ignore');
  t.equal(noLink.code, 2);
  t.match(noLink.stderr, /^herald lease watchdog: fd 3 must be a socket to the lease holder\n$/);
});
