import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MemoryRegistry, MemoryRegistryServer, RemoteStore } from '../../src/registry/index.ts';
import { isLoopback } from '../../src/registry/store-memory-server.ts';
import { readCredentialsFile } from '../../src/registry/credentials.ts';
import { credsDir } from './creds.ts';

const run = promisify(execFile);
const NETNS_CHILD = fileURLToPath(new URL('./memory-token-netns.ts', import.meta.url));

t.test('loopback means 127.0.0.0/8 and ::1', async (t) => {
  for (const a of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '0.0.0.0', '::', '192.168.1.1', 'fe80::1', '::ffff:10.0.0.1']) t.notOk(isLoopback(a), a);
  const server = new MemoryRegistryServer(new MemoryRegistry());
  await t.rejects(server.listen('0.0.0.0', 0), { code: 'HERALD_INVALID_ARGUMENT', message: /only with a token/ });
});

t.test('a token on loopback: clients with it work, clients without it are refused', async (t) => {
  const creds = await credsDir();
  t.teardown(() => creds.cleanup());
  const file = await creds.make('registry');
  const token = await readCredentialsFile(file.path);
  const server = new MemoryRegistryServer(new MemoryRegistry(), { token });
  const port = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());

  const good = RemoteStore.open(`memory://127.0.0.1:${port}`, { auth: token });
  t.teardown(() => good.close());
  await good.ready(5000);
  await good.putPersistent('/a', 'x');
  const inUrl = RemoteStore.open(`memory://registry:${encodeURIComponent(file.password)}@127.0.0.1:${port}`);
  t.teardown(() => inUrl.close());
  await inUrl.ready(5000);
  t.equal((await inUrl.get('/a'))?.data, 'x');

  const none = RemoteStore.open(`memory://127.0.0.1:${port}`, { operationTimeoutMs: 500 });
  t.teardown(() => none.close());
  // Without a hello the first request is the "one line": refused, then closed.
  await none.ready(2000);
  await t.rejects(none.putPersistent('/b', 'y'), { code: 'HERALD_REGISTRY_NOAUTH' });
  const wrong = RemoteStore.open(`memory://registry:nope@127.0.0.1:${port}`);
  t.teardown(() => wrong.close());
  await t.rejects(wrong.ready(1500), { code: 'HERALD_REGISTRY_NOAUTH' });
  t.equal(await good.get('/b'), undefined);
  try { new RemoteStore('memory://registry:sekrit@@host'); t.fail('accepted'); } catch (err) { t.notMatch((err as Error).message, 'sekrit', 'the token is not in the error'); }
});

t.test('non-loopback listen (a veth in a network namespace of our own) needs the token', async (t) => {
  const script = `ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 10.77.0.1/24 dev v0 && ip addr add 10.77.0.2/24 dev v1 && ip link set v0 up && ip link set v1 up && exec "$0" "$1"`;
  const { stdout } = await run('unshare', ['-n', '--', 'sh', '-c', script, process.execPath, NETNS_CHILD], { timeout: 60_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, any>;
  t.notOk(out['error'], out['error']);
  t.equal(out['openExit'], 2, 'no token: refused to listen on 10.77.0.1');
  t.match(out['openStderr'], /not loopback: give --registry-token FILE/);
  t.match(out['registryUrl'], /^memory:\/\/10\.77\.0\.1:\d+$/);
  for (const k of ['noToken', 'wrongToken']) {
    t.ok(out[k].closed, `${k}: closed`);
    const lines = (out[k].reply as string).split('\n').filter(Boolean);
    t.equal(lines.length, 1, `${k}: one line back`);
    t.match(JSON.parse(lines[0]!), { ok: false, code: 'HERALD_REGISTRY_NOAUTH' });
  }
  t.same(out['evilServed'], [], 'the unauthenticated write did not land');
  t.match(out['registered'][0], /^web-1\.web\.coal\.joyent\.us\. \d+ IN A 127\.0\.0\.1$/, 'the sidecar with the token registered');
  t.notOk((out['logs'] as string).includes(out['password']), 'the token is in no log line');
});
