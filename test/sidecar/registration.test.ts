import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeperStore, hostRecordJson, serviceRecordJson } from '../../src/registry/index.ts';
import { Registration, type RegistrationNodes } from '../../src/sidecar/registration.ts';
import { parseConfig } from '../../src/sidecar/config.ts';
import { hostRecord, recordText, serviceRecord } from '../../src/sidecar/records.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { TcpProxy } from '../fixtures/tcp-proxy.ts';

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());

function open(sessionTimeoutMs = 4000): ZooKeeperStore {
  return ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs, operationTimeoutMs: 2000, backoffMs: 50, maxBackoffMs: 500 });
}

async function session(t: { teardown(fn: () => unknown): void }, sessionTimeoutMs?: number): Promise<ZooKeeperStore> {
  const store = open(sessionTimeoutMs);
  t.teardown(() => store.close());
  await store.ready(10_000);
  return store;
}

let n = 0;
function nodes(type = 'moray_host'): RegistrationNodes & { paths: string[] } {
  const base = `/test/reg${++n}`;
  const data = `{"type":"${type}","address":"10.0.0.${n}","ttl":30,"${type}":{"address":"10.0.0.${n}","ports":[2021]}}`;
  const paths = [`${base}/svc/inst-a`, `${base}/alias/a`];
  return { paths, ephemeral: paths.map((path) => ({ path, data })), service: { path: `${base}/svc`, data: '{"type":"service","service":{"type":"service","service":{"srvce":"_x","proto":"_tcp","port":2020,"ttl":60}}}' } };
}

t.test('production shapes: the znodes hold exactly what registrar writes', async (t) => {
  const store = await session(t);
  const reader = await session(t);
  const shapes = [
    { domain: 'moray.coal.joyent.us', type: 'moray_host', aliases: ['moray-1.coal.joyent.us'], ttl: 30, ports: [2021, 2022], service: { type: 'service', service: { srvce: '_moray', proto: '_tcp', port: 2020 }, ttl: 60 } },
    { domain: 'binder.coal.joyent.us', type: 'rr_host', service: { type: 'service', service: { srvce: '_dns', proto: '_udp', port: 53 } } },
    { domain: 'authcache.coal.joyent.us', type: 'load_balancer', ttl: 30, ports: [6379], service: { type: 'service', service: { srvce: '_redis', proto: '_tcp', port: 6379, ttl: 60 } } },
  ];
  for (const registration of shapes) {
    const { config } = parseConfig({ registration, adminIp: '10.99.99.40', instance: 'zone-uuid-1' });
    const reg = config.registration;
    const host = recordText(hostRecord(reg, '10.99.99.40'));
    const service = recordText(serviceRecord(reg)!);
    // The registry's own builders agree, byte for byte.
    t.equal(host, hostRecordJson({ type: reg.type as 'rr_host', address: '10.99.99.40', ports: reg.ports ?? [(reg.service!['service'] as { port: number }).port], ...(reg.ttl === undefined ? {} : { ttl: reg.ttl }) }));
    t.equal(service, serviceRecordJson(reg.service as never));
    const path = '/' + reg.domain.split('.').reverse().join('/');
    const aliasPaths = reg.aliases.map((a) => '/' + a.split('.').reverse().join('/'));
    const r = new Registration(store, { ephemeral: [`${path}/zone-uuid-1`, ...aliasPaths].map((p) => ({ path: p, data: host })), service: { path, data: service } });
    r.start();
    await r.set(true);
    t.same(await reader.get(path), { data: service, ephemeral: false, ownedByMe: false }, `${reg.type}: service node`);
    for (const p of [`${path}/zone-uuid-1`, ...aliasPaths]) t.match(await reader.get(p), { data: host, ephemeral: true, ownedByMe: false, session: /^0x[0-9a-f]+$/ }, `${reg.type}: ${p}`);
    await r.set(false);
    for (const p of [`${path}/zone-uuid-1`, ...aliasPaths]) t.equal(await reader.get(p), undefined, `${p} removed, aliases too`);
    t.ok(await reader.get(path), 'the service node stays');
    await r.close();
  }
  t.equal(recordText(hostRecord(parseConfig({ registration: shapes[0] }).config.registration, '10.99.99.17')),
    '{"type":"moray_host","address":"10.99.99.17","ttl":30,"moray_host":{"address":"10.99.99.17","ports":[2021,2022]}}');
});

t.test('a leftover from our previous session is replaced once; another instance\'s node is never touched', async (t) => {
  const old = await session(t, 30_000);
  const store = await session(t);
  const reader = await session(t);
  const ns = nodes();
  // The previous incarnation (a crash: its session still lives) left our nodes behind.
  for (const node of ns.ephemeral) await old.putEphemeral(node.path, node.data);
  const replaced: string[] = [];
  const r = new Registration(store, ns);
  r.on('leftover', (p) => replaced.push(p));
  r.start();
  t.teardown(() => r.close());
  await r.set(true);
  t.same(replaced.sort(), [...ns.paths].sort(), 'each leftover handled exactly once');
  for (const p of ns.paths) t.match(await store.get(p), { ephemeral: true, ownedByMe: true });
  await old.close();
  await sleep(200);
  for (const p of ns.paths) t.ok(await reader.get(p), 'closing the old session no longer removes them');
  // A different record at our alias path (another instance's) is left alone: we wait.
  const other = await session(t, 30_000);
  const ns2 = nodes();
  await other.putEphemeral(ns2.paths[1]!, '{"type":"host","address":"10.9.9.9","host":{"address":"10.9.9.9","ports":[1]}}');
  const r2 = new Registration(store, ns2, { minBackoffMs: 20, maxBackoffMs: 50 });
  const errors: string[] = [];
  r2.on('failed', (e) => errors.push((e as { code?: string }).code ?? e.message));
  r2.start();
  t.teardown(() => r2.close());
  void r2.set(true);
  await waitFor('a conflict', () => errors.length > 0, 3000);
  t.equal(errors[0], 'HERALD_NODE_OWNED');
  t.match(await reader.get(ns2.paths[1]!), { data: /10\.9\.9\.9/ }, "the other instance's node is untouched");
  await other.close();
  await waitFor('registered once the other session is gone', () => r2.registered, 5000);
});

t.test('ZooKeeper killed and restarted: the intent is kept, nodes exist once, a drained one stays out', async (t) => {
  const store = await session(t, 8000);
  const ns = nodes();
  const r = new Registration(store, ns, { minBackoffMs: 50, maxBackoffMs: 300 });
  let registeredEvents = 0;
  r.on('registered', () => registeredEvents++);
  r.start();
  t.teardown(() => r.close());
  await r.set(true);
  await zk.kill();
  await waitFor('disconnected', () => store.state !== 'connected', 5000);
  // Asked to leave during the outage: must not come back after it.
  const leaving = r.set(false);
  await sleep(300);
  await zk.restart();
  await leaving;
  const reader = await session(t);
  for (const p of ns.paths) t.equal(await reader.get(p), undefined, `${p} stays out after the outage`);
  await r.set(true);
  for (const p of ns.paths) t.match(await reader.get(p), { ephemeral: true }, `${p} back once asked`);
  t.equal(registeredEvents, 2);
});

t.test('session expiry: re-created exactly once; a draining one stays out', async (t) => {
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: zk.ports[0]! });
  t.teardown(() => proxy.stop());
  const store = ZooKeeperStore.open({ connect: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 2000, operationTimeoutMs: 1000, backoffMs: 50, maxBackoffMs: 500 });
  t.teardown(() => store.close());
  await store.ready(10_000);
  const ns = nodes();
  const gone = nodes();
  const r = new Registration(store, ns, { minBackoffMs: 50, maxBackoffMs: 300 });
  const out = new Registration(store, gone, { minBackoffMs: 50, maxBackoffMs: 300 });
  let registeredEvents = 0;
  r.on('registered', () => registeredEvents++);
  r.start();
  out.start();
  t.teardown(() => r.close());
  t.teardown(() => out.close());
  await r.set(true);
  await out.set(true);
  await out.set(false); // drained before the outage
  let expired = 0;
  store.on('expired', () => expired++);
  // The network goes silent past the session timeout: the server expires the session.
  proxy.blackhole();
  await sleep(3500);
  proxy.restore();
  await waitFor('the session to expire', () => expired > 0, 15_000);
  await waitFor('re-registered', () => r.registered && store.state === 'connected', 15_000);
  await sleep(500); // any duplicate attempt would show by now
  const reader = await session(t);
  for (const p of ns.paths) t.match(await reader.get(p), { ephemeral: true }, `${p} re-created`);
  for (const p of gone.paths) t.equal(await reader.get(p), undefined, `${p} (draining) not resurrected`);
  t.equal(registeredEvents, 2, 'registered at start and once after the expiry');
  t.equal(expired, 1);
});
