import t from 'tap';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { startBackend, startChildBackend } from './backends.ts';
import { load, percentile } from './load.ts';

t.test('three equal backends each take a third (±10%)', async (t) => {
  // In this process: a pause here delays all three alike, as equal backends should be.
  // Each answers after the same 2 ms of service time (as the child backends do): answering at once,
  // a request's latency would be only this process's scheduling delay, which on a busy machine
  // alone exceeds the picker's 2x tolerance (three busy loops beside this test: 794, 830, 1224 of
  // 3000 on one backend). With a service time the latencies compared are the backends'.
  const backends = await Promise.all([startBackend({ delayMs: 2 }), startBackend({ delayMs: 2 }), startBackend({ delayMs: 2 })]);
  const agent = new BalancedAgent({ backends: backends.map((b) => b.target) });
  t.teardown(async () => {
    await agent.close();
    await Promise.all(backends.map((b) => b.kill()));
  });
  const r = await load(agent, { count: 3000, concurrency: 8 });
  t.equal(r.failed.length, 0);
  for (const b of backends) {
    const share = b.total() / 3000;
    t.ok(share > 0.3 && share < 0.367, `backend ${b.port} took ${b.total()} of 3000`);
  }
});

t.test('a backend 20× slower gets a falling share and p99 stays near the healthy p99', async (t) => {
  const backends = await Promise.all([startChildBackend(10), startChildBackend(10), startChildBackend(10)]);
  const agent = new BalancedAgent({ backends: backends.map((b) => b.target) });
  t.teardown(async () => {
    await agent.close();
    await Promise.all(backends.map((b) => b.kill()));
  });
  await load(agent, { count: 300, concurrency: 16, prefix: 'warm' });
  const healthy = await load(agent, { count: 1500, concurrency: 16, prefix: 'healthy' });
  await backends[0]!.setDelay(200);
  // Until three slow answers in a row (each to a request sent after the last
  // one came back) the agent takes it for noise: a few requests go there.
  // Measure after that.
  await load(agent, { count: 1200, concurrency: 16, prefix: 'turn' });
  const before = backends.map((b) => b.total());
  const slow = await load(agent, { count: 1500, concurrency: 16, prefix: 'slow' });
  const share = (backends[0]!.total() - before[0]!) / 1500;
  const p99h = percentile(healthy.latencies, 99);
  const p99s = percentile(slow.latencies, 99);
  // The same window's requests that healthy backends served: the machine's
  // load is the same for both, unlike between windows.
  const slowPort = String(backends[0]!.port);
  const p99rest = percentile(slow.latencies.filter((_, i) => slow.bodies[i] !== slowPort), 99);
  t.equal(slow.failed.length, 0);
  t.ok(share < 0.02, `slow backend share ${(share * 100).toFixed(1)}% (a third when healthy)`);
  t.ok(p99s <= 2 * p99rest + 5, `p99 ${p99s.toFixed(1)} ms with one slow backend; ${p99rest.toFixed(1)} ms over the healthy ones in the same window (all healthy before: ${p99h.toFixed(1)} ms)`);
});
