import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryRegistry } from '../../src/registry/index.ts';
import { adminRequest } from '../../src/drain/admin-request.ts';
import { listenAdmin } from '../../src/sidecar/admin-socket.ts';
import { parseConfig } from '../../src/sidecar/config.ts';
import { Sidecar } from '../../src/sidecar/sidecar.ts';

// What may be at the socket's path when a sidecar starts, over real Unix sockets.
const dir = await mkdtemp(join(tmpdir(), 'herald-admin-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const { config } = parseConfig({ registration: { domain: 'a.coal.joyent.us', type: 'load_balancer', ports: [80] }, adminIp: '127.0.0.1', instance: 'i1' });
const store = new MemoryRegistry().connect();
t.teardown(() => store.close());
const sidecar = new Sidecar({ config, store, presence: async () => [] });

const status = async (path: string): Promise<unknown> => {
  let value: unknown;
  await adminRequest(path, { op: 'status' }, (v) => { value = v; });
  return value;
};

t.test('a stale socket (left by a crash) is replaced; a live one is not stolen', async (t) => {
  const path = join(dir, 'stale.sock');
  // A process that listened there and was killed: its socket file stays behind.
  const child = spawn(process.execPath, ['-e', "require('node:net').createServer().listen(process.argv[1], () => console.log('up'))", path], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => child.stdout!.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok((await stat(path)).isSocket(), 'the stale socket file is there');
  const server = await listenAdmin(path, sidecar);
  t.teardown(() => server.close());
  t.match(await status(path), { state: 'starting', instance: 'i1' });
  await t.rejects(listenAdmin(path, sidecar), { code: 'HERALD_SIDECAR_ADMIN_SOCKET', message: /in use by a running sidecar/ });
  t.match(await status(path), { instance: 'i1' }, 'the first one still answers');
});

t.test('a regular file or a directory at the path is never touched', async (t) => {
  const file = join(dir, 'precious.txt');
  await writeFile(file, 'keep me\n');
  await t.rejects(listenAdmin(file, sidecar), { code: 'HERALD_SIDECAR_ADMIN_SOCKET', message: `${file} exists and is not a socket: left as it is` });
  t.equal(await readFile(file, 'utf8'), 'keep me\n');
  const sub = join(dir, 'a-directory');
  await mkdir(sub);
  await t.rejects(listenAdmin(sub, sidecar), { message: /exists and is not a socket/ });
  t.ok((await stat(sub)).isDirectory());
});
