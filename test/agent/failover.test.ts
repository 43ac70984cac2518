import t from 'tap';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { BackendRequestError } from '../../src/agent/errors.ts';
import { startBackend, startChildBackend } from './backends.ts';
import { load } from './load.ts';
import { waitFor } from '../fixtures/wait.ts';

t.test('one backend killed under load: no failed GET, every POST served once', async (t) => {
  const live = await Promise.all([startBackend(), startBackend()]);
  const doomed = await startChildBackend();
  const agent = new BalancedAgent({ backends: [doomed.target, ...live.map((b) => b.target)], baseEjectionTime: 5000 });
  t.teardown(async () => {
    await agent.close();
    await doomed.kill();
    await Promise.all(live.map((b) => b.kill()));
  });
  // Killed once it has served some, however slow the machine is today.
  void waitFor('the doomed backend to serve', () => doomed.total() >= 10, 20_000, 2).then(() => doomed.kill());
  const [gets, posts] = await Promise.all([
    load(agent, { count: 1500, concurrency: 12, prefix: 'get' }),
    load(agent, { count: 1500, concurrency: 12, method: 'POST', body: 'payload', prefix: 'post' }),
  ]);
  t.ok(doomed.total() > 0, `the killed backend served ${doomed.total()} before dying`);
  t.equal(gets.failed.length, 0, 'no GET failed');
  const served = new Map<string, number>();
  for (const id of [...doomed.ids, ...live.flatMap((b) => b.ids)]) served.set(id, (served.get(id) ?? 0) + 1);
  const twice = [...served].filter(([id, n]) => id.startsWith('post') && n > 1);
  t.same(twice, [], 'no POST served twice (a GET may be: it was cut off and retried)');
  t.equal(posts.succeededIds.filter((id) => served.get(id) !== 1).length, 0, 'each successful POST served by exactly one backend');
  for (const f of posts.failed) {
    t.ok(f.error instanceof BackendRequestError && f.error.backend === doomed.key, `failed POST ${f.id} was on the killed backend`);
  }
  t.ok(posts.ok + posts.failed.length === 1500);
});

t.test('a backend answering 503 is ejected, then readmitted once it recovers, and takes its share again', async (t) => {
  const bad = await startBackend({ status: 503 });
  const good = await Promise.all([startBackend(), startBackend()]);
  const agent = new BalancedAgent({ backends: [bad.target, ...good.map((b) => b.target)], baseEjectionTime: 1500, consecutiveFailures: 3, slowStartMs: 0 });
  const events: string[] = [];
  let ejectedAt = 0;
  agent.events.on('ejected', (k: string) => { events.push(`ejected ${k}`); if (k === bad.key) ejectedAt = Date.now(); });
  agent.events.on('readmitted', (k: string) => events.push(`readmitted ${k}`));
  t.teardown(async () => {
    await agent.close();
    await Promise.all([bad, ...good].map((b) => b.kill()));
  });
  const first = await load(agent, { count: 300, concurrency: 4 });
  t.equal(first.statuses.get(200), 300, 'GETs answered 503 were retried elsewhere');
  t.ok(events.includes(`ejected ${bad.key}`), 'ejected');
  const whileEjected = bad.total();
  // Requests only while the ejection lasts (its 1.5 s less 100 ms): on a busy machine 100 of them can outlast it.
  const ejected = (): boolean => Date.now() < ejectedAt + 1400 && agent.stats().backends.some((b) => b.key === bad.key && b.ejected);
  const during = await load(agent, { count: 100, concurrency: 4, until: () => !ejected() });
  t.ok(during.ok > 0, `${during.ok} requests sent while it was ejected`);
  t.equal(bad.total(), whileEjected, 'no request reached it while ejected');
  // Back, its first answer is slow (a new connection, cold caches): after so
  // long unobserved, that one answer must not price it out of the next load.
  bad.behaviour = { status: 200, delayMs: 20, delayedCount: 1 };
  // Its ejection runs out 1.5 s after it began, or 3 s if the first load outlasted one ejection and it failed again on probation.
  const recoveredAt = events.length;
  await waitFor('the recovered backend readmitted', () => events.slice(recoveredAt).includes(`readmitted ${bad.key}`) || agent.stats().backends.some((b) => b.key === bad.key && !b.ejected), 10_000, 20);
  const before = bad.total();
  // One at a time, so the slow answer is the first one back.
  await load(agent, { count: 300, concurrency: 1 });
  t.ok(events.includes(`readmitted ${bad.key}`), 'readmitted');
  t.ok(bad.total() - before > 50, `it takes requests again (${bad.total() - before} of 300)`);
  t.ok((agent.stats().backends.find((b) => b.key === bad.key)?.ejections ?? 0) >= 1);
});

t.test('every backend failing: panic spread, clear errors, retries bounded by the budget', async (t) => {
  const backends = await Promise.all([startBackend({ status: 503, delayMs: 30 }), startBackend({ status: 503, delayMs: 30 }), startBackend({ status: 503, delayMs: 30 })]);
  const agent = new BalancedAgent({ backends: backends.map((b) => b.target), consecutiveFailures: 2, maxEjectedShare: 1, retryBudgetRatio: 0.2, retryBudgetFloor: 2, maxAttempts: 3 });
  t.teardown(async () => {
    await agent.close();
    await Promise.all(backends.map((b) => b.kill()));
  });
  const n = 60;
  const r = await load(agent, { count: n, concurrency: n });
  t.equal(r.statuses.get(503), n, 'each caller sees the 503 itself, not a hang');
  const attempts = backends.reduce((a, b) => a + b.total(), 0);
  const stats = agent.stats();
  t.ok(stats.panic, 'in panic: spread over all');
  t.ok(backends.every((b) => b.total() > 0), 'every backend still gets requests');
  // Without a budget: up to 3 × 60 = 180 attempts. With it: a fifth of the
  // 60 requests plus 2 retries per second over the 10 s window, 60 + 12 + 20.
  t.ok(attempts <= 92, `${attempts} attempts for ${n} requests`);
  t.ok(stats.budget.exhausted > 0, `budget refused ${stats.budget.exhausted} retries`);

  const refused = new BalancedAgent({ backends: ['127.0.0.1:1', '127.0.0.1:2'], maxAttempts: 2 });
  t.teardown(() => refused.close());
  await t.rejects(load(refused, { count: 1, concurrency: 1 }).then((x) => { throw x.failed[0]?.error; }), { code: 'HERALD_BACKEND_FAILED', attempts: 2, cause: { code: 'ECONNREFUSED' } });
});
