import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import t from 'tap';
import { request } from 'undici';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { StaticBackends } from '../../src/resolver/backend-source-static.ts';
import { startBackend } from './backends.ts';

// Loopback port 1 refuses connections; listed first, the cursor tries it first.
const REFUSING = '127.0.0.1:1';

t.test('a refused connection moves even a streamed POST to another backend', async (t) => {
  const live = await startBackend();
  const agent = new BalancedAgent({ backends: [REFUSING, live.target] });
  t.teardown(async () => {
    await agent.close();
    await live.kill();
  });
  const res = await request('http://svc/', { dispatcher: agent, method: 'POST', body: Readable.from([Buffer.from('abc'), Buffer.from('def')]) });
  t.equal(res.statusCode, 200);
  t.equal(await res.body.text(), `${live.port} 6`, 'the whole stream reached the live backend');
  const refused = agent.stats().backends.find((b) => b.port === 1);
  t.equal(refused?.retries, 1, 'the refused attempt was retried');
  t.equal(live.hits.get('POST'), 1);
});

t.test('a POST answered 503 is not repeated; a GET is', async (t) => {
  const bad = await startBackend({ status: 503 });
  const good = await startBackend();
  const agent = new BalancedAgent({ backends: [bad.target, good.target], latencyWeighting: false });
  t.teardown(async () => {
    await agent.close();
    await Promise.all([bad, good].map((b) => b.kill()));
  });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await request('http://svc/', { dispatcher: agent, method: 'POST', body: 'x' });
    await res.body.dump();
    statuses.push(res.statusCode);
  }
  t.ok(statuses.includes(503), 'the caller saw the 503 of the backend that handled the POST');
  t.equal((bad.hits.get('POST') ?? 0) + (good.hits.get('POST') ?? 0), 6, 'six POSTs, six server-side hits');
  for (let i = 0; i < 4; i++) {
    const res = await request('http://svc/', { dispatcher: agent });
    t.equal(res.statusCode, 200);
    await res.body.dump();
  }
});

t.test('active health: a backend failing its ping gets no traffic until it passes again', async (t) => {
  const sick = await startBackend({ status: 500 });
  const well = await startBackend();
  const agent = new BalancedAgent({ backends: [sick.target, well.target], ping: '/ping', pingInterval: 50, consecutiveFailures: 1000, maxEjectedShare: 0, panicThreshold: 0.5 });
  const events: string[] = [];
  agent.events.on('unhealthy', (k: string) => events.push(`unhealthy ${k}`));
  agent.events.on('healthy', (k: string) => events.push(`healthy ${k}`));
  t.teardown(async () => {
    await agent.close();
    await Promise.all([sick, well].map((b) => b.kill()));
  });
  await new Promise((r) => setTimeout(r, 150));
  t.same(events, [`unhealthy ${sick.key}`]);
  for (let i = 0; i < 20; i++) {
    const res = await request('http://svc/x', { dispatcher: agent });
    t.equal(res.statusCode, 200);
    await res.body.dump();
  }
  t.equal(sick.paths.get('/x'), undefined, 'only pings reached the sick backend');
  t.ok((sick.paths.get('/ping') ?? 0) >= 2, 'it was pinged');
  sick.behaviour = { status: 200 };
  await new Promise((r) => setTimeout(r, 150));
  t.ok(events.includes(`healthy ${sick.key}`), 'healthy again');
  t.equal(agent.stats().backends.find((b) => b.key === sick.key)?.healthy, true);
});

t.test('metrics and stats', async (t) => {
  const backend = await startBackend();
  const registry = new Registry();
  const a = new BalancedAgent({ backends: [backend.target], metrics: registry, name: 'moray' });
  const b = new BalancedAgent({ backends: [backend.target], metrics: registry, name: 'other' });
  t.teardown(async () => {
    await Promise.all([a.close(), b.close()]);
    await backend.kill();
  });
  for (let i = 0; i < 3; i++) await (await request('http://svc/', { dispatcher: a })).body.dump();
  const text = await registry.metrics();
  t.match(text, `herald_agent_backend_requests_total{agent="moray",backend="${backend.key}"} 3`);
  t.match(text, `herald_agent_requests_total{agent="moray",outcome="ok"} 3`);
  t.match(text, `herald_agent_backend_up{agent="other",backend="${backend.key}"} 1`);
  t.match(text, `herald_agent_backend_slow_start_share{agent="moray",backend="${backend.key}"} 1`);
  // 10 retries/s over the 10 s window, plus a fifth of the 3 requests.
  t.match(text, 'herald_agent_retry_budget_balance{agent="moray"} 100\n');
  t.match(a.stats(), { requests: { ok: 3, failed: 0 }, budget: { balance: 100, requests: 3, retries: 0, exhausted: 0 }, backends: [{ key: backend.key, requests: 3, inFlight: 0, ejected: false }] });
});

t.test('destroy fails requests in flight with HERALD_AGENT_DESTROYED; a closed agent refuses new ones', async (t) => {
  const slow = await startBackend({ delayMs: 2000 });
  t.teardown(() => slow.kill());
  const agent = new BalancedAgent({ backends: [slow.target] });
  const pending = request('http://svc/', { dispatcher: agent });
  await new Promise((r) => setTimeout(r, 100));
  await agent.destroy();
  await t.rejects(pending, { code: 'HERALD_AGENT_DESTROYED' });
  await t.rejects(request('http://svc/', { dispatcher: agent }), { code: 'HERALD_AGENT_DESTROYED' });
  const empty = new BalancedAgent({ source: new StaticBackends([]), claimTimeout: 5000 });
  const waiting = request('http://svc/', { dispatcher: empty });
  await new Promise((r) => setTimeout(r, 20));
  await empty.close();
  await t.rejects(waiting, { code: 'HERALD_AGENT_CLOSED' }, 'a request waiting for a backend ends with the agent');
  const closed = new BalancedAgent({ backends: [slow.target] });
  await closed.close();
  await t.rejects(request('http://svc/', { dispatcher: closed }), { code: 'HERALD_AGENT_CLOSED' });
});

t.test('options are validated up front', async (t) => {
  t.throws(() => new BalancedAgent({}), { code: 'HERALD_INVALID_ARGUMENT', message: /exactly one of `source`/ });
  t.throws(() => new BalancedAgent({ backends: ['nope'] }), { code: 'HERALD_INVALID_ARGUMENT' });
  t.throws(() => new BalancedAgent({ backends: ['127.0.0.1:1'], panicThreshold: 2 }), { message: 'Expected `panicThreshold` to be a number between 0 and 1, got 2' });
  t.throws(() => new BalancedAgent({ backends: ['127.0.0.1:1'], ping: 'ping' }), { message: /`ping` to be a path/ });
  t.throws(() => new BalancedAgent({ backends: ['127.0.0.1:1'], retryBudgetWindow: 500 }), { message: 'Expected `retryBudgetWindow` to be a number between 1000 and 60000, got 500' });
  t.throws(() => new BalancedAgent({ backends: ['127.0.0.1:1'], slowStartMs: -1 }), { code: 'HERALD_INVALID_ARGUMENT', message: /`slowStartMs`/ });
});

t.test("Host is the request URL's host unless the caller sets one (preserveHost: false sends the backend address)", async (t) => {
  const b = await startBackend();
  const agent = new BalancedAgent({ backends: [b.target] });
  const raw = new BalancedAgent({ backends: [b.target], preserveHost: false });
  t.teardown(async () => {
    await Promise.all([agent.close(), raw.close()]);
    await b.kill();
  });
  await (await request('http://moray.example:8080/x', { dispatcher: agent })).body.dump();
  t.equal(b.lastHost, 'moray.example:8080');
  await (await request('http://moray.example/x', { dispatcher: agent, headers: { host: 'explicit.example' } })).body.dump();
  t.equal(b.lastHost, 'explicit.example');
  await (await request('http://moray.example/x', { dispatcher: raw })).body.dump();
  t.equal(b.lastHost, b.target);
});
