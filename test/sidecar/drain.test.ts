import t from 'tap';
import { runDrain, type DrainActions } from '../../src/sidecar/drain.ts';
import { describeProgress, type DrainProgress, type NameserverPresence } from '../../src/drain/index.ts';

// The drain machine over plain functions; the real probes and registry are
// exercised end to end in test/sidecar/sidecar.test.ts.
function actions(script: { presence: NameserverPresence[][]; inFlight: number[] }): DrainActions & { removed: number } {
  let round = 0;
  let flight = 0;
  const a = {
    removed: 0,
    remove: async () => { a.removed++; return 2; },
    presence: async () => script.presence[Math.min(round++, script.presence.length - 1)]!,
    inFlight: async () => script.inFlight[Math.min(flight++, script.inFlight.length - 1)]!,
  };
  return a;
}

const ns = (a: string, b: string): NameserverPresence[] => [
  { nameserver: '127.0.0.1:53', state: a as NameserverPresence['state'] },
  { nameserver: '127.0.0.1:54', state: b as NameserverPresence['state'] },
];

t.test('phases in order: removed → absent n/N → ttl countdown → in-flight → drained', async (t) => {
  const seen: DrainProgress[] = [];
  const a = actions({ presence: [ns('present', 'unknown'), ns('absent', 'unknown'), ns('unknown', 'absent')], inFlight: [2, 1, 0] });
  const end = await runDrain(a, { deadlineMs: 5000, ttlMs: 150, pollMs: 10, reason: 'test', onProgress: (p) => seen.push(p) });
  t.equal(end.phase, 'drained');
  t.equal(a.removed, 1);
  t.same(end.phases.map((p) => p.phase), ['removing', 'absent', 'ttl', 'in-flight']);
  t.ok(end.phases[2]!.ms >= 140, 'the TTL wait is waited out');
  // Absence is sticky: the first server's later "unknown" did not undo its "absent".
  const absentLines = seen.filter((p) => p.phase === 'absent' && p.nameservers).map((p) => describeProgress(p, Date.now()));
  t.match(absentLines.at(-1), /absent from 2\/2 nameservers/);
  t.ok(absentLines.some((l) => /absent from 1\/2 nameservers \(waiting on 127.0.0.1:54 unknown\)/.test(l)));
  t.same(seen.filter((p) => p.phase === 'in-flight' && p.inFlight !== undefined).map((p) => p.inFlight), [2, 1, 0]);
  t.match(describeProgress(end, Date.now()), /^drained in \d+\.\d s$/);
});

t.test('deadline names the unmet condition: absent', async (t) => {
  const end = await runDrain(actions({ presence: [ns('absent', 'unknown')], inFlight: [0] }), { deadlineMs: 100, ttlMs: 0, pollMs: 10, reason: 'x' });
  t.equal(end.phase, 'deadline');
  t.equal(end.unmet, 'absent');
  t.match(describeProgress(end, Date.now()), /deadline after .*: not yet absent from every nameserver \(1\/2\)/);
});

t.test('deadline names the unmet condition: ttl, in-flight', async (t) => {
  const ttl = await runDrain(actions({ presence: [ns('absent', 'absent')], inFlight: [0] }), { deadlineMs: 100, ttlMs: 60_000, pollMs: 10, reason: 'x' });
  t.match(ttl, { phase: 'deadline', unmet: 'ttl' });
  const busy = await runDrain(actions({ presence: [ns('absent', 'absent')], inFlight: [3] }), { deadlineMs: 150, ttlMs: 10, pollMs: 10, reason: 'x' });
  t.match(busy, { phase: 'deadline', unmet: 'in-flight', inFlight: 3 });
  t.match(describeProgress(busy, Date.now()), /in-flight work did not reach zero \(3 left\)/);
});

t.test('a failing in-flight probe never counts as zero; a cancel stops the drain', async (t) => {
  const a = actions({ presence: [ns('absent', 'absent')], inFlight: [0] });
  a.inFlight = async () => { throw new Error('probe down'); };
  const end = await runDrain(a, { deadlineMs: 100, ttlMs: 0, pollMs: 10, reason: 'x' });
  t.match(end, { phase: 'deadline', unmet: 'in-flight', error: 'probe down' });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const started = Date.now();
  const cancelled = await runDrain(actions({ presence: [ns('absent', 'absent')], inFlight: [0] }), { deadlineMs: 10_000, ttlMs: 60_000, pollMs: 10, reason: 'x', signal: controller.signal });
  t.equal(cancelled.phase, 'ttl', 'stopped where it was');
  t.ok(Date.now() - started < 2000);
});
