import t from 'tap';
import type { DrainProgress } from '../../src/drain/index.ts';
import { eventLine, lineDisplay, ttyDisplay } from '../../src/demo/live-display.ts';
import { buildSummary, renderSummary } from '../../src/demo/summary.ts';
import { renderFrame } from '../../src/demo/table.ts';
import { drainText, windowShares, type DemoView } from '../../src/demo/view.ts';

const drain = (over: Partial<DrainProgress>): DrainProgress => ({ phase: 'removing', reason: 'r', startedAt: 1000, deadlineAt: 31_000, phaseAt: 1000, phases: [], ...over });

t.test('windowShares: each instance\'s part of the answers between two counts', async (t) => {
  t.same(windowShares({ a: 10, b: 10 }, { a: 40, b: 20, c: 10 }), { a: 0.6, b: 0.2, c: 0.2 });
  t.same(windowShares({ a: 5 }, { a: 5 }), { a: 0 }, 'no answers: no share, no NaN');
});

t.test('drainText: the phase and what it waits for, with countdowns', async (t) => {
  const now = 5000;
  t.equal(drainText(undefined, now), '');
  t.equal(drainText(drain({ phase: 'absent' }), now), 'asking nameservers');
  t.equal(drainText(drain({ phase: 'absent', nameservers: [{ nameserver: 'a', state: 'absent' }, { nameserver: 'b', state: 'unknown' }] }), now), 'absent from 1/2 ns');
  t.equal(drainText(drain({ phase: 'ttl', ttlEndsAt: 6500 }), now), 'ttl 1.5s left');
  t.equal(drainText(drain({ phase: 'in-flight' }), now), 'counting in-flight');
  t.equal(drainText(drain({ phase: 'in-flight', inFlight: 3 }), now), 'in-flight 3 (26.0s left)');
  t.equal(drainText(drain({ phase: 'drained', endedAt: 3600 }), now), 'drained in 2.6s');
  t.equal(drainText(drain({ phase: 'deadline', unmet: 'in-flight' }), now), 'DEADLINE: in-flight unmet');
});

t.test('renderTable: aligned columns, totals, failures flagged, cut to the width', async (t) => {
  const view: DemoView = {
    now: 12_500, startedAt: 10_000, step: 'rolling update 1/2: draining web-1', rps: 100, sent: 250, ok: 240, failed: 1, inFlight: 9,
    instances: [
      { name: 'web-1', port: 8081, pid: 11, process: 'up', sidecar: 'draining', inRotation: false, served: 120, recentShare: 0, inFlight: 0, errors: 0, drain: drain({ phase: 'ttl', ttlEndsAt: 13_500 }) },
      { name: 'web-2', port: 8082, pid: undefined, process: 'crashed', sidecar: 'unhealthy', inRotation: true, served: 120, recentShare: 1, inFlight: 4, errors: 7, drain: undefined },
    ],
  };
  const lines = renderFrame(view);
  t.equal(lines[0], 'herald demo  2.5s  rolling update 1/2: draining web-1');
  const header = lines[2]!;
  t.match(header, /^INSTANCE  PORT  PROCESS\s+SIDECAR\s+ROTATION\s+SHARE\s+SERVED\s+IN-FLIGHT\s+ERRORS\s+DRAIN$/);
  t.match(lines[3], /^web-1\s+8081\s+up 11\s+draining\s+out\s+0%\s+120\s+0\s+0\s+ttl 1\.0s left$/);
  t.match(lines[4], /^web-2\s+8082\s+crashed\s+unhealthy\s+in\s+100%\s+120\s+4\s+7$/);
  t.equal(lines[3]!.indexOf('8081'), header.indexOf('PORT'), 'columns line up');
  t.equal(lines[4]!.indexOf('100%'), header.indexOf('SHARE'));
  t.match(lines.join('\n'), /250 sent {2}240 ok {2}1 failed {2}9 in flight {2}\(target 100\/s\) {2}<-- FAILURES/);
  const narrow = renderFrame(view, 80);
  t.match(narrow[2], /^INSTANCE PORT PROCESS/, 'one space between columns when two would not fit');
  t.ok(renderFrame(view, 40).every((l) => l.length <= 40));
});

t.test('summary: ok only with no failed request and every drain drained; text and JSON', async (t) => {
  const load = { startedAt: 0, sent: 300, ok: 300, failed: 0, inFlight: 0, byInstance: { 'web-1': 200, 'web-2': 100 }, maxLatencyMs: 12, failures: [] };
  const update = { instance: 'web-1', outcome: 'drained' as const, phases: [{ phase: 'removing' as const, ms: 3 }, { phase: 'absent' as const, ms: 10 }, { phase: 'ttl' as const, ms: 2500 }, { phase: 'in-flight' as const, ms: 20 }], drainMs: 2533, restartMs: 400, backInRotationMs: 1800 };
  const s = buildSummary({ load, rps: 100, durationMs: 3000, interrupted: false, names: ['web-1', 'web-2', 'web-3'], updates: [update], crash: { instance: 'web-2', outOfRotationMs: 1100, retriedAttempts: 4, backInRotationMs: 900 } });
  t.equal(s.ok, true);
  t.same(s.instances.map((i) => [i.name, i.served]), [['web-1', 200], ['web-2', 100], ['web-3', 0]], 'an instance that served nothing is still listed');
  t.equal(s.instances[0]!.share.toFixed(3), '0.667');
  const text = renderSummary(s);
  t.match(text, /requests {2}300 sent, 300 ok, 0 failed/);
  t.match(text, /web-1: drained in 2\.53 s \(removing 0\.00 → absent 0\.01 → ttl 2\.50 → in-flight 0\.02 s\)/);
  t.match(text, /restart 0\.40 s; back in rotation 1\.80 s after resume/);
  t.match(text, /web-2: kill -9 → out of rotation in 1\.10 s, 4 attempts retried/);
  t.match(text, /result {4}OK: no request failed/);
  t.same(JSON.parse(JSON.stringify(s)), s, 'plain data: JSON round-trips');

  const failed = buildSummary({ load: { ...load, ok: 299, failed: 1, failures: [{ at: 1, id: 'r9', code: 'HERALD_BACKEND_FAILED', message: 'boom' }] }, rps: 100, durationMs: 3000, interrupted: false, names: [], updates: [], crash: undefined });
  t.equal(failed.ok, false);
  t.match(renderSummary(failed), /failed {4}r9: HERALD_BACKEND_FAILED boom[\s\S]*FAILED: 1 requests failed/);
  const stuck = buildSummary({ load, rps: 100, durationMs: 3000, interrupted: true, names: [], updates: [{ ...update, outcome: 'deadline', unmet: 'in-flight' }], crash: undefined });
  t.equal(stuck.ok, false, 'a drain that hit its deadline is not ok');
  t.match(renderSummary(stuck), /summary \(interrupted\)[\s\S]*deadline \(in-flight unmet\)[\s\S]*a drain did not finish/);
  const broken = buildSummary({ load, rps: 100, durationMs: 3000, interrupted: false, names: [], updates: [], crash: undefined, error: 'timed out after 20000 ms waiting for web-2 back in rotation' });
  t.equal(broken.ok, false, 'a step that never completed is not ok');
  t.match(renderSummary(broken), /stopped {3}timed out after 20000 ms waiting for web-2 back in rotation\n {2}result {4}FAILED: 0 requests failed, a step did not complete/);
});

t.test('eventLine: elapsed seconds, right-aligned', async (t) => {
  t.equal(eventLine(1234, 'x'), '[   1.2s] x');
  t.equal(eventLine(123_456, 'y'), '[ 123.5s] y');
});

t.test('ttyDisplay: each frame is redrawn over the last; events go above the table; lines fit the terminal', async (t) => {
  let out = '';
  const stream = Object.assign(new (await import('node:stream')).Writable({ write(chunk, _enc, done) { out += String(chunk); done(); } }), { isTTY: true, columns: 60 });
  const d = ttyDisplay(stream);
  t.equal(d.width, 59);
  t.equal(out, '\x1b[?25l', 'cursor hidden');
  out = '';
  d.frame(['a', 'b']);
  t.equal(out, '\r\x1b[Ja\nb\n', 'first frame: drawn where the cursor is');
  out = '';
  d.frame(['c', 'x'.repeat(70)]);
  t.equal(out, `\x1b[2F\x1b[Jc\n${'x'.repeat(58)}…\n`, 'next frame: back up two lines, clear, redraw, cut to the width');
  out = '';
  d.event(1500, 'happened');
  t.equal(out, `\x1b[2F\x1b[J[   1.5s] happened\n\rc\n${'x'.repeat(58)}…\n`.replace('\rc', '\r\x1b[Jc'), 'event printed in place of the table, table drawn again below it');
  out = '';
  d.close();
  d.frame(['ignored']);
  t.equal(out, '\x1b[?25h', 'cursor shown again; no more frames');
  const lines = lineDisplay(stream);
  out = '';
  lines.frame(['ignored']);
  lines.event(2000, 'plain');
  t.equal(out, '[   2.0s] plain\n', 'not a terminal: one line per event, no table');
});
