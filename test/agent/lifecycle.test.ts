import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import t from 'tap';
import { fetch, request, stream } from 'undici';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { createHttpAgent } from '../../src/agent/http-agent.ts';
import { StaticBackends } from '../../src/resolver/backend-source-static.ts';
import { waitFor } from '../fixtures/wait.ts';
import { startBackend } from './backends.ts';
import { load } from './load.ts';

// A resolver change, driven through StaticBackends.set() (the DNS Resolver
// emits the same events).
t.test('a removed backend finishes its in-flight requests and gets no new ones', async (t) => {
  const slow = await startBackend({ delayMs: 300 });
  const other = await startBackend();
  const source = new StaticBackends([slow.target, other.target]);
  const agent = new BalancedAgent({ source });
  t.teardown(async () => {
    await agent.close();
    await Promise.all([slow, other].map((b) => b.kill()));
  });
  const inflight = load(agent, { count: 8, concurrency: 8, prefix: 'inflight' });
  // Every request the agent sent there has arrived (none still connecting).
  await waitFor('requests to reach the backend', () => slow.inFlight > 0 && slow.inFlight === agent.stats().backends.find((b) => b.key === slow.key)?.inFlight, 5000, 5);
  t.ok(slow.inFlight > 0, `${slow.inFlight} in flight on the backend being removed`);
  source.set([other.target]);
  const before = slow.total();
  const after = await load(agent, { count: 100, concurrency: 4, prefix: 'after' });
  const r = await inflight;
  t.equal(r.failed.length, 0, 'in-flight requests completed');
  t.equal(after.failed.length, 0);
  t.equal(slow.total(), before, 'no new request reached it');
  t.same(agent.stats().backends.map((b) => b.key), [other.key]);
});

t.test('no backends: a request waits for one, or fails with NoBackendsError after the claim timeout', async (t) => {
  const b = await startBackend();
  const source = new StaticBackends([]);
  const agent = new BalancedAgent({ source, claimTimeout: 300 });
  t.teardown(async () => {
    await agent.close();
    await b.kill();
  });
  const started = Date.now();
  await t.rejects(request('http://svc/', { dispatcher: agent }), { code: 'HERALD_NO_BACKENDS', name: 'NoBackendsError' });
  t.ok(Date.now() - started >= 250, 'waited the claim timeout');
  const pending = request('http://svc/', { dispatcher: agent });
  setTimeout(() => source.set([b.target]), 100);
  const res = await pending;
  t.equal(res.statusCode, 200, 'served once a backend appeared');
  await res.body.dump();
  const ac = new AbortController();
  const aborted = request('http://svc/', { dispatcher: new BalancedAgent({ source: new StaticBackends([]), claimTimeout: 5000 }), signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await t.rejects(aborted, { name: 'AbortError' }, 'an abort ends the wait at once');
});

t.test('works with undici fetch, stream and pipeline', async (t) => {
  const backends = await Promise.all([startBackend(), startBackend()]);
  const agent = new BalancedAgent({ backends: backends.map((b) => b.target) });
  t.teardown(async () => {
    await agent.close();
    await Promise.all(backends.map((b) => b.kill()));
  });
  const res = await fetch('http://svc/x', { dispatcher: agent, method: 'POST', body: 'hello' });
  t.equal(res.status, 200);
  t.match(await res.text(), / 5$/);
  const chunks: Buffer[] = [];
  await stream('http://svc/y', { dispatcher: agent, method: 'GET' }, () => new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }));
  t.match(Buffer.concat(chunks).toString(), / 0$/);
  const out: Buffer[] = [];
  await pipeline(
    async function* () { yield Buffer.from('abc'); }(),
    agent.pipeline({ path: '/z', method: 'PUT' }, ({ body }) => body),
    new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }),
  );
  t.match(Buffer.concat(out).toString(), / 3$/);
});

t.test('http.Agent facade: http.request reaches the backends; a refusing first backend is skipped', async (t) => {
  const backends = await Promise.all([startBackend(), startBackend()]);
  // Port 1 on loopback refuses: listed first, and tried first by the cursor.
  const agent = createHttpAgent({ backends: ['127.0.0.1:1', ...backends.map((b) => b.target)], maximum: 8, spares: 2 });
  t.teardown(async () => {
    agent.destroy();
    await Promise.all(backends.map((b) => b.kill()));
  });
  const get = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: 'service.test', path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const statuses = await Promise.all(Array.from({ length: 20 }, get));
  t.same(new Set(statuses), new Set([200]), 'no error surfaced');
  t.ok(backends.every((b) => b.total() > 0), 'both live backends used');
  t.ok((agent.balanced.stats().backends.find((b) => b.port === 1)?.errors ?? 0) > 0, 'the refusal was counted against it');
  t.throws(() => createHttpAgent({ backends: ['127.0.0.1:1'], maxAttempts: 0 }), { code: 'HERALD_INVALID_ARGUMENT' });
});

t.test('http.Agent facade: idle keep-alive sockets to a removed backend are not reused', async (t) => {
  const [a, b] = await Promise.all([startBackend(), startBackend()]);
  const source = new StaticBackends([a!.target, b!.target]);
  const agent = createHttpAgent({ source });
  t.teardown(async () => {
    agent.destroy();
    await Promise.all([a!.kill(), b!.kill()]);
  });
  const get = (): Promise<void> =>
    new Promise((resolve, reject) => {
      http.request({ host: 'service.test', path: '/', agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
    });
  await Promise.all(Array.from({ length: 6 }, get));
  t.ok(a!.total() > 0 && b!.total() > 0, 'both in use, their sockets kept alive');
  source.set([b!.target]);
  const before = a!.total();
  // In parallel, so that every idle socket would be taken if it were still pooled.
  for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 6 }, get));
  t.equal(a!.total(), before, 'no request reached the removed backend');
});
