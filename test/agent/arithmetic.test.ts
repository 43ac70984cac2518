import t from 'tap';
import { ejectionDuration, forgiveEjections, inPanic, mayEject, probeDelay, PROBE_FIRST_MS, PROBE_MAX_MS, type EjectionPolicy } from '../../src/agent/ejection.ts';
import { MIN_SHARE, rampShare } from '../../src/agent/slow-start.ts';
import { buildSnapshot, pick, type Candidate } from '../../src/agent/picker.ts';
import { originHost, serverName, withHost, type OriginHost } from '../../src/agent/host-header.ts';
import { RetryBudget } from '../../src/agent/retry-budget.ts';
import { isReplayable, mayRetryError, mayRetryStatus } from '../../src/agent/retry-policy.ts';
import { currentLatency, newLatencyState, observeLatency, WARMUP_SAMPLES } from '../../src/agent/peak-ewma.ts';

const policy: EjectionPolicy = { consecutiveFailures: 5, baseEjectionMs: 1000, maxEjectionMs: 2500, maxEjectedShare: 0.5, panicThreshold: 0.5 };

t.test('ejection lasts base × times ejected, capped', async (t) => {
  t.equal(ejectionDuration(policy, 1), 1000);
  t.equal(ejectionDuration(policy, 2), 2000);
  t.equal(ejectionDuration(policy, 7), 2500);
});

t.test('at most the configured share is ejected, but one always may be', async (t) => {
  t.equal(mayEject(policy, 0, 3), true);
  t.equal(mayEject(policy, 1, 3), false);
  t.equal(mayEject(policy, 1, 4), true);
  t.equal(mayEject(policy, 0, 1), true);
  t.equal(inPanic(policy, 1, 3), true);
  t.equal(inPanic(policy, 2, 3), false);
});

t.test('an ejection is forgiven after as long a healthy spell', async (t) => {
  t.equal(forgiveEjections(policy, 2, 0, 1999), 2);
  t.equal(forgiveEjections(policy, 2, 0, 2000), 1);
  t.equal(forgiveEjections(policy, 0, 0, 9999), 0);
});

t.test('probes of an ejected backend: about a second, doubling, capped, with jitter', async (t) => {
  t.equal(probeDelay(0, 0.5), PROBE_FIRST_MS);
  t.equal(probeDelay(1, 0.5), 2 * PROBE_FIRST_MS);
  t.equal(probeDelay(3, 0.5), 8 * PROBE_FIRST_MS);
  t.equal(probeDelay(50, 0.5), PROBE_MAX_MS, 'capped (and no overflow)');
  t.equal(probeDelay(0, 0), 0.9 * PROBE_FIRST_MS);
  t.ok(probeDelay(0, 0.999) < 1.1 * PROBE_FIRST_MS);
});

t.test('slow start: from MIN_SHARE, quadratic, whole at the end of the window', async (t) => {
  t.equal(rampShare(0, 5000), MIN_SHARE);
  t.equal(rampShare(1000, 5000), MIN_SHARE, '(1/5)² = 4% is under the floor');
  t.equal(rampShare(2500, 5000), 0.25);
  t.equal(rampShare(5000, 5000), 1);
  t.equal(rampShare(9000, 5000), 1);
});

t.test('retry safety', async (t) => {
  const post = { method: 'POST', replayable: true };
  t.equal(mayRetryError({ ...post, written: false }), true, 'never written: any method');
  t.equal(mayRetryError({ ...post, written: true }), false, 'POST that may have reached a backend');
  t.equal(mayRetryError({ method: 'GET', replayable: true, written: true }), true);
  t.equal(mayRetryError({ method: 'PUT', replayable: false, written: true }), false, 'a stream body cannot be sent again');
  t.equal(mayRetryStatus({ method: 'DELETE', replayable: true, written: true }, 503), true);
  t.equal(mayRetryStatus({ ...post, written: true }, 503), false);
  t.equal(mayRetryStatus({ method: 'GET', replayable: true, written: true }, 404), false);
  t.equal(isReplayable('x'), true);
  t.equal(isReplayable(Buffer.from('x')), true);
  t.equal(isReplayable({ pipe() {} }), false);
});

t.test('retry budget: a share of the window\'s requests plus a floor per second, expiring with the window', async (t) => {
  // 20% of requests, 1 retry/s over a 10 s window: a reserve of 10.
  const b = new RetryBudget(0.2, 1, 10_000, 0);
  for (let i = 0; i < 100; i++) b.deposit(i);
  t.equal(b.balance(), 10 + 20);
  const granted = Array.from({ length: 40 }, () => b.tryWithdraw(500)).filter(Boolean).length;
  t.equal(granted, 30, 'reserve + ratio × requests');
  t.equal(b.exhausted, 10);
  t.same(b.window(900), { requests: 100, retries: 30 });
  // 9.5 s on, the first slice (where all of that happened) has not expired yet...
  t.equal(b.tryWithdraw(9_500), false);
  // ...at 10 s it has: deposits and withdrawals are gone, the reserve is back.
  t.same(b.window(10_000), { requests: 0, retries: 0 });
  t.equal(b.balance(), 10);
  const late = new RetryBudget(0.5, 0, 1000, 0);
  late.deposit(50);
  late.deposit(950);
  t.equal(late.tryWithdraw(1000), false, 'the request of the expired slice no longer counts; half a request is not a retry');
  late.deposit(1001);
  t.equal(late.tryWithdraw(1002), true);
  t.same(late.window(5000), { requests: 0, retries: 0 }, 'a long pause expires everything at once');
  const none = new RetryBudget(0, 0, 1000, 0);
  for (let i = 0; i < 1000; i++) none.deposit(i / 2);
  t.equal(none.tryWithdraw(600), false, 'ratio 0 and floor 0: no retries at all');
});

function cand(key: string, over: Partial<Candidate> = {}): Candidate {
  return { key, priority: 0, weight: 10, outstanding: 0, latency: newLatencyState(), ejectedUntil: 0, healthy: true, rampFrom: -1, ...over };
}

t.test('snapshot: lowest priority group, ejected left out unless in panic', async (t) => {
  const now = 1000;
  const s = buildSnapshot([cand('b', { priority: 1 }), cand('a1'), cand('a2', { ejectedUntil: 2000 }), cand('a3')], now, policy);
  t.same(s.members.map((c) => c.key), ['a1', 'a3']);
  t.equal(s.validUntil, 2000);
  const panic = buildSnapshot([cand('a1', { ejectedUntil: 2000 }), cand('a2', { healthy: false }), cand('a3'), cand('b', { priority: 1 })], now, policy);
  t.equal(panic.panic, true);
  t.same(panic.members.map((c) => c.key), ['a1', 'a2', 'a3']);
  const spill = buildSnapshot([cand('a1', { healthy: false }), cand('b', { priority: 1 })], now, policy);
  t.same(spill.members.map((c) => c.key), ['b'], 'an unavailable group gives way to the next');
});

t.test('pick: fewer outstanding wins; weights are honoured; a much slower backend loses', async (t) => {
  const opts = { latency: true, decayMs: 10_000, slowStartMs: 0 };
  const busy = cand('busy', { outstanding: 9 });
  const idle = cand('idle');
  const s = buildSnapshot([busy, idle], 0, policy);
  for (let i = 0; i < 10; i++) t.equal(pick(s, i, Math.random, 0, opts)?.key, 'idle');

  const heavy = cand('heavy', { weight: 30 });
  const light = cand('light', { weight: 10 });
  const w = buildSnapshot([heavy, light], 0, policy);
  const counts = { heavy: 0, light: 0 };
  const load = { heavy: 0, light: 0 };
  for (let i = 0; i < 4000; i++) {
    // Simulate requests that stay in flight: load follows the choice.
    const c = pick({ ...w, members: [{ ...heavy, outstanding: load.heavy }, { ...light, outstanding: load.light }] }, i, Math.random, 0, { latency: false, decayMs: 1, slowStartMs: 0 })!;
    const k = c.key as 'heavy' | 'light';
    counts[k]++;
    load[k]++;
  }
  t.ok(counts.heavy / 4000 > 0.7 && counts.heavy / 4000 < 0.8, `heavy got ${counts.heavy} of 4000 (weight 30 vs 10)`);

  const fast = cand('fast', { outstanding: 5 });
  const slow = cand('slow', { outstanding: 1 });
  for (let i = 0; i < WARMUP_SAMPLES; i++) {
    observeLatency(fast.latency, 1, 0, 10_000);
    observeLatency(slow.latency, 40, 0, 10_000);
  }
  t.equal(slow.latency.ewma, 40);
  const l = buildSnapshot([fast, slow], 0, policy);
  t.equal(pick(l, 0, Math.random, 0, opts)?.key, 'fast');
  t.equal(pick(l, 1, Math.random, 0, opts)?.key, 'fast');
});

t.test('pick: a backend in its slow start gets its share of what it would get, at any load', async (t) => {
  const opts = { latency: false, decayMs: 1, slowStartMs: 5000 };
  const count = (members: Candidate[], now: number): Map<string, number> => {
    const s = buildSnapshot(members, 0, policy);
    const n = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const k = pick(s, i, Math.random, now, opts)!.key;
      n.set(k, (n.get(k) ?? 0) + 1);
    }
    return n;
  };
  // Idle (one request at a time): a plain weight cut would starve it here.
  const idle = count([cand('a'), cand('b'), cand('new', { rampFrom: 0 })], 2500);
  const share = (idle.get('new') ?? 0) / (((idle.get('a') ?? 0) + (idle.get('b') ?? 0)) / 2);
  t.ok(share > 0.1 && share < 0.4, `at a quarter of its ramp it gets ${(100 * share).toFixed(0)}% of a warm one's picks`);
  const early = count([cand('a'), cand('b'), cand('new', { rampFrom: 0 })], 0);
  t.ok((early.get('new') ?? 0) > 0 && (early.get('new') ?? 0) < 6000 * 0.05, `at its start it still gets a few (${early.get('new')})`);
  const done = count([cand('a'), cand('b'), cand('new', { rampFrom: 0 })], 5000);
  t.ok((done.get('new') ?? 0) > 1800, `after the window, a third (${done.get('new')})`);
  const s = buildSnapshot([cand('a'), cand('b')], 0, policy);
  t.equal(s.ramping, false, 'no ramp: the pick path does not look');
});

t.test('peak-EWMA: warm-up samples are not peaks; later a worse sample is taken at once, a better one slowly', async (t) => {
  const s = newLatencyState();
  observeLatency(s, 30, 0, 1000);
  t.equal(currentLatency(s, 0, 1000), 0, 'unknown during warm-up');
  observeLatency(s, 1, 1, 1000);
  observeLatency(s, 2, 2, 1000);
  t.equal(currentLatency(s, 2, 1000), 1, 'the best warm-up sample');
  // A stall: three requests in flight come back late at the same moment.
  observeLatency(s, 8, 10, 1000);
  observeLatency(s, 8, 10, 1000);
  observeLatency(s, 8, 10, 1000);
  t.ok(s.ewma < 1.5, `late answers to requests sent before the first was seen are one event (${s.ewma.toFixed(2)})`);
  // A slow backend: each request sent after the previous slow answer.
  observeLatency(s, 8, 20, 1000);
  t.ok(s.ewma < 2, 'two spikes in a row are still noise');
  observeLatency(s, 8, 30, 1000);
  t.equal(s.ewma, 8, 'a third in a row is a peak');
  observeLatency(s, 1, 31, 1000);
  t.ok(s.ewma > 7 && s.ewma < 8, `decays slowly (${s.ewma.toFixed(2)})`);
  t.ok(currentLatency(s, 900, 1000) > 7, 'remembered for a while');
  t.equal(currentLatency(s, 1032, 1000), 0, 'unobserved for the decay time: unknown, so it gets a request to measure it');
  // Measured anew, it warms up anew: one slow first answer (a new connection) does not price it out.
  observeLatency(s, 30, 1032, 1000);
  t.equal(currentLatency(s, 1032, 1000), 0, 'one answer after the gap: still unknown');
  observeLatency(s, 2, 1033, 1000);
  observeLatency(s, 3, 1034, 1000);
  t.equal(currentLatency(s, 1034, 1000), 2, 'after the warm-up again: its best answer, not the slow first one');
  observeLatency(s, 8, 1040, 1000);
  t.ok(s.ewma < 4, `then one late answer is noise again (${s.ewma.toFixed(2)})`);
});

t.test('Host from the request origin, unless the caller set one', async (t) => {
  const cache = new Map<string, OriginHost>();
  const o = originHost('http://moray.example:8080', cache);
  t.same(o, { host: 'moray.example:8080', servername: 'moray.example', headers: ['host', 'moray.example:8080'] });
  t.equal(originHost('http://moray.example:8080', cache), o, 'memoised');
  t.ok(Object.isFrozen(o.headers), 'shared headers cannot be changed');
  t.equal(originHost(new URL('http://moray.example/'), cache).host, 'moray.example');
  // Servername as undici derives it from a Host header: none for addresses.
  t.equal(originHost('http://10.0.0.1:80', cache).servername, null);
  t.equal(originHost('http://[::1]:8080', cache).servername, null);
  t.equal(serverName('[fe80::1]'), null);
  t.equal(serverName(''), null);
  t.equal(serverName('a.example:81'), 'a.example');
  t.same(withHost(null, 'a'), { host: 'a' });
  const mine = { Host: 'mine', 'x-y': '1' };
  t.equal(withHost(mine, 'a'), mine);
  t.same(withHost({ 'x-y': '1' }, 'a'), { 'x-y': '1', host: 'a' });
  t.same(withHost(['x-y', '1'], 'a'), ['x-y', '1', 'host', 'a']);
  t.same(withHost(['HOST', 'b'], 'a'), ['HOST', 'b']);
  t.same(withHost(new Map([['x', '1']]) as unknown as Record<string, string>, 'a'), ['x', '1', 'host', 'a']);
});
