import t from 'tap';
import { createServer, request, Agent, type Server } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeperStore } from '../../src/registry/index.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig } from '../server/helpers.ts';
import { herald, heraldRun, serve, sidecarDir, startSidecar, type Running } from '../sidecar/processes.ts';

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());
const { port: dnsPort, proc: server } = await serve(zk.connectString, 'coal.joyent.us');
t.teardown(() => server.stop());
const reader = ZooKeeperStore.open({ connect: zk.connectString });
t.teardown(() => reader.close());
await reader.ready(10_000);

// The service being drained: a real HTTP server, and a keep-alive client holding a connection to it.
const app: Server = createServer((req, res) => res.end('ok'));
// The client's idle keep-alive connection stays until the test lets it go: Node's default (5 s) would
// close it server-side whenever the drain's earlier phases take that long on a busy machine.
app.keepAliveTimeout = 120_000;
await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
t.teardown(() => { app.closeAllConnections(); app.close(); });
const appPort = (app.address() as { port: number }).port;

async function holdConnection(): Promise<{ agent: Agent; close(): void }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  await new Promise<void>((resolve, reject) => {
    request({ host: '127.0.0.1', port: appPort, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end();
  });
  return { agent, close: () => agent.destroy() };
}

const SRV = '_http._tcp.web.coal.joyent.us';
const inDns = async (instance: string) => (await dig(dnsPort, ['SRV', SRV])).answer.some((l) => l.includes(`${instance}.web.coal.joyent.us.`));

const d = await sidecarDir();
t.teardown(() => d.cleanup());
const socket = join(d.dir, 'admin.sock');
const config = await d.write({
  registration: { domain: 'web.coal.joyent.us', type: 'load_balancer', ttl: 1, ports: [appPort], service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: appPort, ttl: 1 } } },
  adminIp: '127.0.0.1',
  instance: 'web-1',
  drain: { nameservers: [`127.0.0.1:${dnsPort}`], ttlMargin: 200, pollInterval: 100, deadline: 20_000 },
  zookeeper: { servers: [{ host: '127.0.0.1', port: zk.ports[0] }], timeout: 4000 },
});
let sidecar: Running = await startSidecar(['--config', config, '--admin-socket', socket]);
t.teardown(() => sidecar.stop('SIGKILL'));
await waitFor('web-1 in DNS', () => inDns('web-1'), 10_000);

const drainArgs = (timeout: number) => ['drain', '--zk', zk.connectString, 'web.coal.joyent.us', 'web-1', '--timeout', String(timeout), '--reason', 'test'];

t.test('a keep-alive client that stays: the deadline, saying in-flight work was unmet (exit 1)', async (t) => {
  const client = await holdConnection();
  t.teardown(() => client.close());
  const r = await heraldRun(drainArgs(3));
  t.equal(r.code, 1);
  t.match(r.stderr, /^herald drain: deadline after 3\.\d s: in-flight work did not reach zero \(1 left\)\n$/);
  // One line per phase when not on a terminal.
  const lines = r.stdout.trim().split('\n');
  t.match(lines[0], /^removed from the registry \(1 nodes\) in \d+\.\d s$/);
  t.match(lines[1], /^absent from 1\/1 nameservers after \d+\.\d s$/);
  t.match(lines[2], /^client caches expired \(longest TTL \+ margin 1\.2 s\) after 1\.\d s$/);
  t.match(lines[3], /^in flight: 1$/);
  t.match(lines[4], /^deadline after 3\.\d s: in-flight work did not reach zero \(1 left\)$/);
  t.notOk(await inDns('web-1'), 'out of DNS');
});

t.test('the client closes during the drain: drained (exit 0); resume → back in DNS', async (t) => {
  const client = await holdConnection();
  const drain = herald(drainArgs(15));
  t.teardown(() => drain.stop('SIGKILL'));
  await waitFor('the in-flight phase', () => /in flight|waiting out/.test(drain.stdout) || /in-flight/.test(drain.stdout), 10_000).catch(() => undefined);
  await sleep(500);
  client.close();
  t.equal(await drain.exit, 0, drain.stderr);
  t.match(drain.stdout, /no work in flight after \d+\.\d s\ndrained in \d+\.\d s\n$/);
  const status = JSON.parse((await reader.get('/herald/status/us/joyent/coal/web/web-1'))!.data!);
  t.match(status, { state: 'drained', drain: { phase: 'drained', phases: [{ phase: 'removing' }, { phase: 'absent' }, { phase: 'ttl' }, { phase: 'in-flight' }] } });
  t.ok(await reader.get('/herald/drain/us/joyent/coal/web/web-1'), 'the intent stays until resume');
  const r = await heraldRun(['resume', '--zk', zk.connectString, 'web.coal.joyent.us', 'web-1']);
  t.equal(r.code, 0);
  t.equal(r.stdout, 'resumed web-1.web.coal.joyent.us\n');
  await waitFor('back in DNS', () => inDns('web-1'), 5000);
  t.equal(await reader.get('/herald/drain/us/joyent/coal/web/web-1'), undefined);
});

t.test('the drain intent survives a sidecar restart: it stays out until resumed', async (t) => {
  const first = await heraldRun(drainArgs(10));
  t.equal(first.code, 0, `${first.code} ${first.stdout} ${first.stderr}`);
  t.equal(await sidecar.stop(), 0);
  const before = JSON.parse((await reader.get('/herald/status/us/joyent/coal/web/web-1'))!.data!);
  sidecar = await startSidecar(['--config', config, '--admin-socket', socket]);
  await sleep(1500);
  t.equal(await reader.get('/us/joyent/coal/web/web-1'), undefined, 'not registered after the restart');
  t.notOk(await inDns('web-1'));
  const status = JSON.parse((await reader.get('/herald/status/us/joyent/coal/web/web-1'))!.data!);
  t.equal(status.state, 'drained', 'still drained (not drained again)');
  t.same(status.drain, before.drain, 'the drain shown is the one finished before the restart');
  t.equal(status.pid, sidecar.child.pid);
  t.equal((await heraldRun(['resume', '--zk', zk.connectString, 'web.coal.joyent.us', 'web-1'])).code, 0);
  await waitFor('back in DNS', () => inDns('web-1'), 5000);
});

t.test('locally through the admin socket: drain and resume', async (t) => {
  const r = await heraldRun(['drain', '--socket', socket, '--timeout', '10']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /drained in/);
  t.notOk(await inDns('web-1'));
  t.ok(await reader.get('/herald/drain/us/joyent/coal/web/web-1'), 'the socket writes the same intent znode');
  const back = await heraldRun(['resume', '--socket', socket]);
  t.equal(back.code, 0);
  await waitFor('back in DNS', () => inDns('web-1'), 5000);
  const bad = await heraldRun(['drain', '--socket', join(d.dir, 'nope.sock')]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /cannot reach the sidecar at .*nope\.sock: ENOENT/);
});

t.test('bad usage exits 2', async (t) => {
  for (const args of [['drain'], ['drain', 'a..b'], ['drain', 'x.y', 'i', '--timeout', 'soon'], ['drain', '--zk', 'a', '--socket', 'b', 'x.y'], ['resume']]) {
    const r = await heraldRun(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, /^herald (drain|resume): .+\nusage:/);
  }
});
