import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeperStore } from '../../src/registry/index.ts';
import { parseConfig } from '../../src/sidecar/config.ts';
import { Sidecar } from '../../src/sidecar/sidecar.ts';
import { TcpProxy } from '../fixtures/tcp-proxy.ts';
import { waitFor } from '../fixtures/wait.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';

// Sidecars in this process, through a proxy that can silence ZooKeeper long
// enough for their session to expire.
const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());
const reader = ZooKeeperStore.open({ connect: zk.connectString });
t.teardown(() => reader.close());
await reader.ready(10_000);

function sidecarFor(instance: string, store: ZooKeeperStore, extra: object = {}): Sidecar {
  const { config } = parseConfig({
    registration: { domain: 'api.coal.joyent.us', type: 'load_balancer', ttl: 1, ports: [8080], aliases: [`${instance}-alias.coal.joyent.us`], heartbeatInterval: 60_000 },
    adminIp: '127.0.0.1', instance,
    drain: { nameservers: ['127.0.0.1:1'], ttlMargin: 0, pollInterval: 50, deadline: 300, signalDeadline: 100, inFlight: 'none' },
    ...extra,
  });
  // Absence is taken as confirmed here; the real probe is tested against real servers elsewhere.
  return new Sidecar({ config, store, presence: async () => [] });
}

t.test('session expiry: the healthy one is re-registered exactly once; the draining and the unhealthy ones stay out', async (t) => {
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: zk.ports[0]! });
  t.teardown(() => proxy.stop());
  const store = ZooKeeperStore.open({ connect: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 2000, operationTimeoutMs: 1000, backoffMs: 50, maxBackoffMs: 300 });
  t.teardown(() => store.close());
  const healthy = sidecarFor('ok1', store);
  const draining = sidecarFor('dr1', store);
  const sick = sidecarFor('sk1', store, { healthCheck: { command: 'exit 1', interval: 50, fall: 1 } });
  let registrations = 0;
  healthy.on('status', (s) => { if (s.registered && !wasRegistered) registrations++; wasRegistered = s.registered; });
  let wasRegistered = false;
  for (const s of [healthy, draining, sick]) {
    await s.start();
    t.teardown(() => s.stop());
  }
  await waitFor('both registered', async () => (await reader.get('/us/joyent/coal/api/ok1')) && (await reader.get('/us/joyent/coal/api/dr1')), 10_000);
  await draining.requestDrain('test', 300);
  await waitFor('drained', () => draining.status.state === 'drained', 5000);
  t.equal(await reader.get('/us/joyent/coal/api/dr1'), undefined);
  t.equal(await reader.get('/coal/joyent/us/dr1-alias'), undefined);
  t.equal(registrations, 1);

  let expired = 0;
  store.on('expired', () => expired++);
  proxy.blackhole();
  await sleep(3500);
  proxy.restore();
  await waitFor('the session to expire', () => expired === 1, 15_000);
  await waitFor('re-registered', async () => (await reader.get('/us/joyent/coal/ok1-alias'))?.ephemeral === true, 10_000);
  await sleep(500);
  t.equal(registrations, 2, 're-registered exactly once after the expiry');
  t.match(await reader.get('/us/joyent/coal/api/ok1'), { ephemeral: true });
  for (const p of ['/us/joyent/coal/api/dr1', '/us/joyent/coal/dr1-alias', '/us/joyent/coal/api/sk1', '/us/joyent/coal/sk1-alias']) {
    t.equal(await reader.get(p), undefined, `${p} stays out`);
  }
  t.equal(draining.status.state, 'drained');
  t.equal(sick.status.state, 'unhealthy');
  // Resume: the drained one comes back; its intent node is gone.
  await draining.resume();
  await waitFor('dr1 back', async () => (await reader.get('/us/joyent/coal/dr1-alias'))?.ephemeral === true, 5000);
  t.equal(await reader.get('/herald/drain/us/joyent/coal/api/dr1'), undefined);
});

t.test('stop(): nodes gone at once, status "stopped" published, nothing left running', async (t) => {
  const store = ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs: 4000 });
  t.teardown(() => store.close());
  const s = sidecarFor('st1', store, {
    healthCheck: { command: 'true', interval: 50 },
    drain: { nameservers: ['127.0.0.1:1'], ttlMargin: 0, pollInterval: 50, signalDeadline: 5000, inFlight: 'none' },
  });
  await s.start();
  await waitFor('registered', async () => (await reader.get('/us/joyent/coal/st1-alias'))?.ephemeral === true, 10_000);
  const started = Date.now();
  const stopping = s.stop();
  await waitFor('gone', async () => (await reader.get('/us/joyent/coal/api/st1')) === undefined, 2000, 5);
  t.ok(Date.now() - started < 1000, `gone ${Date.now() - started} ms after stop()`);
  const progress = await stopping;
  t.match(progress, { phase: 'drained', phases: [{ phase: 'removing' }, { phase: 'absent' }, { phase: 'ttl' }, { phase: 'in-flight' }] }, 'the short drain ran');
  t.match(JSON.parse((await reader.get('/herald/status/us/joyent/coal/api/st1'))!.data!), { state: 'stopped', registered: false });
});
