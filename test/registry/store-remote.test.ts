import t from 'tap';
import { spawn } from 'node:child_process';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { MemoryRegistryServer } from '../../src/registry/store-memory-server.ts';
import { openStore } from '../../src/registry/open.ts';
import { RemoteStore } from '../../src/registry/store-remote.ts';
import { waitFor } from '../fixtures/wait.ts';
import { storeContract } from './contract.ts';

const registry = new MemoryRegistry();
const server = new MemoryRegistryServer(registry);
const port = await server.listen('127.0.0.1', 0);
t.teardown(() => server.close());
const url = `memory://127.0.0.1:${port}`;

t.test('a remote session keeps the Store contract', async (t) => {
  await storeContract(t, async () => { const s = openStore(url); await s.ready(5000); return s; });
});

t.test('sequential nodes and watchGone work remotely', async (t) => {
  const a = openStore(url);
  const b = openStore(url);
  t.teardown(async () => { await a.close(); await b.close(); });
  await a.ready(5000); await b.ready(5000);
  const p1 = await a.createSequential('/q/lease-', 'x');
  const p2 = await a.createSequential('/q/lease-', 'y');
  t.match(p1, /^\/q\/lease-\d{10}$/);
  t.ok(p2 > p1, 'increasing');
  const gone = b.watchGone(p1);
  await a.delete(p1);
  await gone;
  t.pass('watchGone resolved on delete');
  t.equal(b.sessionTimeoutMs, Number.POSITIVE_INFINITY);
});

t.test('only loopback; bad connect strings refused', async (t) => {
  await t.rejects(new MemoryRegistryServer(registry).listen('0.0.0.0', 0), { code: 'HERALD_INVALID_ARGUMENT' });
  t.throws(() => new RemoteStore('memory://nope'), { code: 'HERALD_INVALID_ARGUMENT' });
});

t.test("a crashed process's ephemerals vanish with its connection", async (t) => {
  const local = registry.connect();
  t.teardown(() => local.close());
  const script = `
    import { openStore } from ${JSON.stringify(new URL('../../src/registry/open.ts', import.meta.url).pathname)};
    const s = openStore(${JSON.stringify(url)});
    await s.ready(5000);
    await s.putEphemeral('/crash/svc/inst', 'alive');
    process.stdout.write('registered\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('registered')) resolve(); }));
  t.match(await local.get('/crash/svc/inst'), { data: 'alive', ephemeral: true, ownedByMe: false, session: /^0x[0-9a-f]+$/ });
  child.kill('SIGKILL');
  await waitFor('ephemeral gone', async () => (await local.get('/crash/svc/inst')) === undefined, 5000, 10);
  t.ok(await local.get('/crash/svc'), 'the persistent parent stays');
});

t.test('server restart: the client reports expired, reconnects and registers again', async (t) => {
  const reg2 = new MemoryRegistry();
  const srv = new MemoryRegistryServer(reg2);
  const p = await srv.listen('127.0.0.1', 0);
  const s = openStore(`memory://127.0.0.1:${p}`);
  const states: string[] = [];
  s.on('state', (st) => states.push(st));
  await s.ready(5000);
  const m = s.mirror('/svc');
  await s.putEphemeral('/svc/i', 'one');
  await waitFor('mirrored', () => m.snapshot?.has('/svc/i'), 5000, 10);
  await srv.close();
  await waitFor('expired', () => states.includes('expired'), 5000, 10);
  t.ok(m.staleSince !== undefined, 'mirror stale while away');
  const srv2 = new MemoryRegistryServer(reg2);
  await srv2.listen('127.0.0.1', p);
  t.teardown(async () => { await s.close(); await srv2.close(); });
  await waitFor('connected again', () => s.state === 'connected', 10_000, 10);
  await s.putEphemeral('/svc/i', 'two');
  await waitFor('mirror resubscribed', () => m.snapshot?.get('/svc/i')?.data === 'two', 5000, 10);
  t.equal(m.staleSince, undefined);
  t.same(states, ['connected', 'expired', 'connected']);
});
