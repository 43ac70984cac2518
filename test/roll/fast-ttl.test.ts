import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ttlOverridePath } from '../../src/drain/index.ts';
import { ZooKeeperStore } from '../../src/registry/index.ts';
import { lookup } from '../../src/resolver/index.ts';
import { lowerTtl } from '../../src/roll/index.ts';
import { Bind } from '../fixtures/bind.ts';
import type { Cluster } from '../e2e/harness.ts';
import { rollCluster } from './control.ts';

// The TTL fast path: records at TTL 5 s, `herald roll --fast-ttl 1`. Real
// processes as in roll.test.ts; a caching client (every nameserver asked
// every 100 ms, each answer held for its TTL) stands for dig with its TTL
// honoured.

/** The records' TTL (s): what the first drain waits out, five times the fast TTL. */
const TTL = 5;

/** Every 100 ms, each nameserver's SRV answer; per target, until when a client may hold it. */
function cachingClient(c: Cluster): { heldUntil: Map<string, number>; ttls: number[]; stop(): Promise<void> } {
  const heldUntil = new Map<string, number>();
  const ttls: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const all = await lookup(c.srvName, 'SRV', { all: true, nameservers: c.nameservers, tries: 1, timeoutMs: 300 });
      const now = Date.now();
      for (const o of all) {
        for (const a of o.result?.answers ?? []) {
          if (!('target' in a)) continue;
          const target = String(a.target).replace(/\.$/, '');
          ttls.push(a.ttl);
          heldUntil.set(target, Math.max(heldUntil.get(target) ?? 0, now + a.ttl * 1000));
        }
      }
      await sleep(100);
    }
  })();
  return { heldUntil, ttls, async stop() { running = false; await loop; } };
}

t.test(`--fast-ttl 1 with records at TTL ${TTL} s`, async (t) => {
  const { c, control, roll } = await rollCluster(t, TTL);
  const client = c.client!;
  const cache = cachingClient(c);
  const atUpdate: { instance: string; inAgent: boolean; heldForMs: number }[] = [];
  control.onRestart = (name) => {
    const i = c.instance(name);
    atUpdate.push({ instance: name, inAgent: client.has(i.port), heldForMs: (cache.heldUntil.get(i.target) ?? 0) - Date.now() });
  };

  const r = await roll([c.domain, '--fast-ttl', '1', '--timeout', '40', '--json', ...control.command()], 120_000);
  await cache.stop();
  t.equal(r.code, 0, r.stderr.slice(-1000));
  const summary = JSON.parse(r.stdout) as { ok: boolean; fastTtl: { ttl: number; honoured: boolean }; instances: { instance: string; drainTtlMs: number }[] };
  t.match(summary, { ok: true, fastTtl: { ttl: 1, honoured: true } });
  const [first, ...rest] = summary.instances.map((i) => i.drainTtlMs);
  // The first drain waits out what is left of the old TTL since the override took effect
  // (src/drain/ttl-override.ts clientHoldMs): all of it when the removal follows at once, less when it
  // came later (a loaded machine: 2.8 s seen). That it waited long enough is what the caching client
  // shows below: nothing held the instance once it was drained.
  t.ok(first! >= 1000 && first! <= TTL * 1000 + 1000, `the first drain waits out the rest of the old TTL once (${first} ms), at most all of it`);
  for (const ms of rest) t.ok(ms >= 1000 && ms <= 2000, `each later drain waits the fast TTL + margin (${ms} ms)`);
  t.match(r.stderr, /every nameserver answers with TTL 1/);
  t.match(r.stderr, /TTL override removed/);

  t.equal(atUpdate.length, 3);
  for (const u of atUpdate) {
    t.notOk(u.inAgent, `${u.instance}: out of the agent's rotation once drained`);
    t.ok(u.heldForMs <= 0, `${u.instance}: no TTL-honouring client still held it once drained (${u.heldForMs} ms left)`);
  }
  t.ok(cache.ttls.includes(1) && cache.ttls.includes(TTL), `the caching client saw TTL ${TTL}, then 1`);

  const store = ZooKeeperStore.open({ connect: c.zk.connectString });
  t.teardown(() => store.close());
  await store.ready(5000);
  t.equal(await store.get(ttlOverridePath(c.domain)), undefined, 'the override is gone');
  const after = await lookup(c.srvName, 'SRV', { nameservers: [c.nameservers[0]!] });
  t.ok(after.answers.every((a) => a.ttl === TTL), `answers carry TTL ${TTL} again`);

  await t.test('a nameserver that ignores the override (BIND): detected, override removed, full TTL waits', async (t) => {
    const bind = await Bind.start([{ origin: c.zone, records: `_http._tcp.web ${TTL} IN SRV 0 10 80 web-1.web\nweb-1.web ${TTL} IN A 127.0.0.1\n` }]);
    t.teardown(() => bind.stop());
    const outcome = await lowerTtl({ store, domain: c.domain, question: { name: c.srvName, type: 'SRV' }, fastTtl: 1, nameservers: [c.nameservers[0]!, bind.nameserver], by: 'test', confirmMs: 1000 });
    t.equal(outcome.ok, false);
    t.match(outcome, { reason: new RegExp(`not every nameserver honours Herald's TTL override \\(still ${bind.nameserver.replace(/\./g, '\\.')} TTL ${TTL} after 1\\.0 s\\)`) });
    t.match(outcome.seen, [{ nameserver: c.nameservers[0], lowered: true, ttl: 1 }, { nameserver: bind.nameserver, lowered: false, ttl: TTL }]);
    t.equal(await store.get(ttlOverridePath(c.domain)), undefined, 'the override was removed: sidecars wait the full TTL');
  });

  await client.answered(200);
  t.equal(client.failures.length, 0, `no request failed ${JSON.stringify(client.failures.slice(0, 5))}`);
});
