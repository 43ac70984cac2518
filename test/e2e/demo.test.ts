import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DemoSummary } from '../../src/demo/summary.ts';
import { waitFor } from '../fixtures/wait.ts';
import { reapOnExit } from '../fixtures/reap.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Run { child: ChildProcess; stdout: string; stderr: string; exit: Promise<number | null> }

function demo(args: string[]): Run {
  const child = spawn(process.execPath, [MAIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  reapOnExit(child);
  const r: Run = { child, stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : null)))) };
  child.stdout!.on('data', (d: Buffer) => { r.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { r.stderr += d.toString(); });
  return r;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function bounded(r: Run, ms: number): Promise<number | null> {
  const timer = setTimeout(() => r.child.kill('SIGKILL'), ms);
  const code = await r.exit;
  clearTimeout(timer);
  return code;
}

t.test('herald demo --json: a rolling update and a crash under load, zero failed requests, exit 0', async (t) => {
  const json = demo(['--instances', '2', '--rps', '60', '--duration', '1', '--json']);
  const text = demo(['--instances', '2', '--rps', '40', '--duration', '1']);
  t.teardown(() => { json.child.kill('SIGKILL'); text.child.kill('SIGKILL'); });
  const [jsonCode, textCode] = await Promise.all([bounded(json, 90_000), bounded(text, 90_000)]);
  t.equal(jsonCode, 0, `exit 0\n${json.stderr}`);
  const s = JSON.parse(json.stdout) as DemoSummary;
  t.equal(s.ok, true);
  t.equal(s.requests.failed, 0, 'zero failed requests');
  t.ok(s.requests.ok > 200, `load ran (${s.requests.ok} ok)`);
  t.equal(s.requests.sent, s.requests.ok);
  t.same(s.instances.map((i) => i.name), ['web-1', 'web-2']);
  t.ok(s.instances.every((i) => i.share > 0.1), 'both instances served');
  t.same(s.updates.map((u) => [u.instance, u.outcome]), [['web-1', 'drained'], ['web-2', 'drained']], 'every instance updated, every drain drained');
  for (const u of s.updates) {
    t.same(u.phases.map((p) => p.phase), ['removing', 'absent', 'ttl', 'in-flight'], `${u.instance}: every phase, in order`);
    t.ok(u.drainMs >= 2000, `${u.instance}: the drain waited out the 2 s TTL (${u.drainMs} ms)`);
  }
  t.ok(s.crash && s.crash.outOfRotationMs !== undefined && s.crash.backInRotationMs !== undefined, 'the crashed instance left rotation and came back');

  t.equal(textCode, 0, `text mode exit 0\n${text.stderr}`);
  t.match(text.stdout, /\[\s+\d+\.\ds\] all 2 instances in rotation/);
  t.match(text.stdout, /web-1: drain requested \(herald drain\)/);
  t.match(text.stdout, /web-\d: kill -9 \(pid \d+\)/);
  t.match(text.stdout, /summary: [\s\S]*result {4}OK: no request failed/);
  t.notMatch(text.stdout, /\x1b\[/, 'no terminal escapes when not on a terminal');
});

t.test('herald demo: SIGINT stops everything it started, and says so', async (t) => {
  const r = demo(['--instances', '2', '--rps', '20', '--duration', '60']);
  t.teardown(() => r.child.kill('SIGKILL'));
  await waitFor('steady load', () => /all 2 instances in rotation/.test(r.stdout), 30_000, 50);
  const pids = [...(/instances of [^:]+: (.*)/.exec(r.stdout)?.[1] ?? '').matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
  t.equal(pids.length, 2, 'the instances\' pids are shown');
  t.ok(pids.every(alive));
  r.child.kill('SIGINT');
  const code = await bounded(r, 15_000);
  t.equal(code, 130, 'interrupted, nothing failed: 130');
  t.match(r.stdout, /interrupted: stopping everything/);
  t.match(r.stdout, /summary \(interrupted\)/);
  t.ok(pids.every((p) => !alive(p)), 'no instance process left behind');
});

t.test('herald demo | head: the reader going away stops everything, without a crash', async (t) => {
  const r = demo(['--instances', '2', '--rps', '20', '--duration', '60']);
  t.teardown(() => r.child.kill('SIGKILL'));
  await waitFor('the instances started', () => /instances of [^:]+: .*pid \d+.*pid \d+/.test(r.stdout), 30_000, 50);
  const pids = [...(/instances of [^:]+: (.*)/.exec(r.stdout)?.[1] ?? '').matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
  r.child.stdout!.destroy();
  const code = await bounded(r, 15_000);
  t.equal(code, 130, 'stopped as if interrupted');
  t.notMatch(r.stderr, /EPIPE|Unhandled/, 'no crash');
  t.ok(pids.length === 2 && pids.every((p) => !alive(p)), 'no instance process left behind');
});

t.test('herald demo: bad options exit 2 with one line', async (t) => {
  for (const args of [['--instances', '1'], ['--rps', 'lots'], ['--nope']]) {
    const r = demo(args);
    t.equal(await bounded(r, 15_000), 2, args.join(' '));
    t.match(r.stderr, /^herald demo: .+/);
  }
});
