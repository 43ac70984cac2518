import t from 'tap';
import { openMemoryStore, openStore } from '../../src/registry/open.ts';
import { waitFor } from '../fixtures/wait.ts';

t.test('openMemoryStore: an in-process registry other processes reach through memory://', async (t) => {
  const memory = await openMemoryStore({ listen: { address: '127.0.0.1', port: 0 } });
  t.match(memory.url, /^memory:\/\/127\.0\.0\.1:\d+$/, 'the bound port in the url');
  const remote = openStore(memory.url!);
  await remote.ready(5000);
  await remote.putEphemeral('/a/b', 'x');
  t.equal((await memory.store.get('/a/b'))?.data, 'x', 'a remote write is in the local store');
  await memory.close();
  t.equal(memory.store.state, 'closed', 'close() closes the local session');
  await waitFor('the remote session ended with the server', () => remote.state !== 'connected', 5000, 10);
  await remote.close();
});

t.test('openMemoryStore without listen: a session only; off loopback without a token: refused', async (t) => {
  const local = await openMemoryStore();
  t.equal(local.url, undefined);
  await local.store.putPersistent('/x', null);
  t.same(await local.store.children('/'), ['x']);
  await local.close();
  await t.rejects(openMemoryStore({ listen: { address: '0.0.0.0', port: 0 } }), { code: 'HERALD_INVALID_ARGUMENT' });
});
