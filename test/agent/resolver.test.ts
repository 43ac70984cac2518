// The agent over the DNS Resolver, against a real BIND serving SRV records
// that point at HTTP backends on loopback.
import http from 'node:http';
import { once } from 'node:events';
import t from 'tap';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { createHttpAgent } from '../../src/agent/http-agent.ts';
import { Bind, type Zone } from '../fixtures/bind.ts';
import { freePort } from '../fixtures/ports.ts';
import { waitFor } from '../fixtures/wait.ts';
import { startBackend, type Backend } from './backends.ts';
import { load } from './load.ts';

const zone = (targets: Array<[name: string, port: number]>): Zone => ({
  origin: 'agent.test',
  minimum: 1,
  records: targets.map(([name, port]) => `_http._tcp.svc 1 IN SRV 0 10 ${port} ${name}.svc\n${name}.svc 1 IN A 127.0.0.1\n`).join(''),
});
const keyOf = (name: string, port: number): string => `${name}.svc.agent.test:${port}@127.0.0.1`;

const bind = await Bind.start([zone([])]);
t.teardown(() => bind.stop());

const options = { domain: 'svc.agent.test', nameservers: [bind.nameserver], timeoutMs: 500, retryMs: 100 };

t.test('over the resolver: a removed backend finishes its in-flight requests and gets no new ones', async (t) => {
  const backends: Backend[] = await Promise.all([startBackend({ delayMs: 1500 }), startBackend(), startBackend()]);
  const names = ['a', 'b', 'c'];
  await bind.setZone(zone(backends.map((b, i) => [names[i]!, b.port])));
  const agent = new BalancedAgent({ ...options, claimTimeout: 3000 });
  t.teardown(async () => {
    await agent.close();
    await Promise.all(backends.map((b) => b.kill()));
  });
  const removed = once(agent.events, 'removed');
  // The first requests wait for the resolver's first answer (the claim).
  const first = await load(agent, { count: 30, concurrency: 3, prefix: 'first' });
  t.equal(first.failed.length, 0);
  t.same(new Set(agent.stats().backends.map((b) => b.key)), new Set(backends.map((b, i) => keyOf(names[i]!, b.port))));
  const doomed = backends[0]!;
  // Requests in flight on the slow backend when its record goes.
  const inflight = load(agent, { count: 9, concurrency: 9, prefix: 'inflight' });
  // Every request the agent sent there has arrived (none still connecting).
  await waitFor('requests to reach the backend', () => doomed.inFlight > 0 && doomed.inFlight === agent.stats().backends.find((b) => b.key === keyOf('a', doomed.port))?.inFlight, 5000, 5);
  t.ok(doomed.inFlight > 0, `${doomed.inFlight} in flight on the backend being removed`);
  await bind.setZone(zone(backends.slice(1).map((b, i) => [names[i + 1]!, b.port])));
  const [key] = (await removed) as [string];
  t.equal(key, keyOf('a', doomed.port), 'removed by the resolver within its TTL');
  const before = doomed.total();
  const after = await load(agent, { count: 100, concurrency: 4, prefix: 'after' });
  const r = await inflight;
  t.equal(r.failed.length, 0, 'in-flight requests completed');
  t.equal(after.failed.length, 0);
  t.equal(doomed.total(), before, 'no new request reached it');
});

t.test('http.Agent facade with cueball options: resolvers + initialDomains; a refusing SRV target is skipped', async (t) => {
  const live = await Promise.all([startBackend(), startBackend()]);
  const deadPort = await freePort();
  await bind.setZone(zone([['dead', deadPort], ['b', live[0]!.port], ['c', live[1]!.port]]));
  const agent = createHttpAgent({ initialDomains: ['svc.agent.test'], resolvers: [bind.nameserver], spares: 2, maximum: 8, recovery: { default: { timeout: 1000, retries: 2 } } });
  t.teardown(async () => {
    agent.destroy();
    await Promise.all(live.map((b) => b.kill()));
  });
  const get = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: 'svc.agent.test', path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const statuses = await Promise.all(Array.from({ length: 12 }, get));
  t.same(new Set(statuses), new Set([200]), 'no error surfaced');
  t.ok((agent.balanced.stats().backends.find((b) => b.port === deadPort)?.errors ?? 0) > 0, 'the refusing target was tried and counted');
  t.ok(live.every((b) => b.total() > 0), 'both live targets served');
  t.throws(() => createHttpAgent({ initialDomains: ['a.test', 'b.test'] }), { code: 'HERALD_INVALID_ARGUMENT', message: /exactly one domain/ });
});
