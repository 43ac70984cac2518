// The retry budget: it must never cost a request that one healthy retry
// would save (a backend dying under load), and must still bound the load a
// client adds when every backend fails. Attempts are counted server-side.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { startBackend } from './backends.ts';
import { load } from './load.ts';

const ROUNDS = 20;
const PER_ROUND = 400;

for (const concurrency of [32, 64, 128]) {
  t.test(`one of three backends dies under load at concurrency ${concurrency}: no failed GET in ${ROUNDS} rounds`, async (t) => {
    let failed = 0;
    let exhausted = 0;
    let cutOff = 0;
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Answers take a few ms, so requests are in flight on every backend when one dies.
      const backends = await Promise.all([startBackend({ delayMs: 4 }), startBackend({ delayMs: 4 }), startBackend({ delayMs: 4 })]);
      // A fresh agent each round: its budget has seen only this round's requests.
      const agent = new BalancedAgent({ backends: backends.map((b) => b.target) });
      const doomed = backends[round % 3]!;
      // Until the load ends: a round whose doomed backend got fewer (the agent steered away from it) must not hang.
      let loading = true;
      const killer = (async () => {
        while (loading && doomed.total() < PER_ROUND / 6) await sleep(1);
        cutOff += doomed.inFlight;
        await doomed.kill();
      })();
      const r = await load(agent, { count: PER_ROUND, concurrency, prefix: `c${concurrency}r${round}` });
      loading = false;
      await killer;
      failed += r.failed.length;
      for (const f of r.failed.slice(0, 3)) failures.push(`${f.id}: ${f.error.message}`);
      exhausted += agent.stats().budget.exhausted;
      await agent.close();
      await Promise.all(backends.map((b) => b.kill()));
    }
    t.ok(cutOff > ROUNDS, `${cutOff} requests were in flight on the dying backend over ${ROUNDS} rounds`);
    t.equal(failed, 0, `no GET failed of ${ROUNDS * PER_ROUND}${failures.length ? `: ${failures.join('; ')}` : ''}`);
    t.equal(exhausted, 0, 'the budget refused no retry');
  });
}

t.test('every backend failing: attempts stay within requests × (1 + ratio) + the per-second floor over the window', async (t) => {
  const backends = await Promise.all([startBackend({ status: 503, delayMs: 2 }), startBackend({ status: 503, delayMs: 2 }), startBackend({ status: 503, delayMs: 2 })]);
  const agent = new BalancedAgent({ backends: backends.map((b) => b.target), retryBudgetRatio: 0.2, retryBudgetFloor: 10, retryBudgetWindow: 10_000, maxAttempts: 3 });
  t.teardown(async () => {
    await agent.close();
    await Promise.all(backends.map((b) => b.kill()));
  });
  const n = 1500;
  const started = Date.now();
  const r = await load(agent, { count: n, concurrency: 32 });
  const elapsedS = (Date.now() - started) / 1000;
  t.ok(elapsedS < 10, `ran within one window (${elapsedS.toFixed(1)} s)`);
  t.equal(r.statuses.get(503), n, 'each caller sees the 503 itself');
  const attempts = backends.reduce((a, b) => a + b.total(), 0);
  // Without a budget: 3 × 1500 = 4500. With it: 20% of the requests plus
  // 10 retries per second over the 10 s window.
  const bound = n + 0.2 * n + 10 * 10;
  t.ok(attempts > n, `some retries were allowed (${attempts - n})`);
  t.ok(attempts <= bound, `${attempts} attempts for ${n} requests (bound ${bound}, unbudgeted ${3 * n})`);
  t.equal(attempts, agent.stats().backends.reduce((a, b) => a + b.requests, 0), 'the servers saw every attempt the agent counted');
  t.ok(agent.stats().budget.exhausted > 0, `budget refused ${agent.stats().budget.exhausted} retries`);
});
