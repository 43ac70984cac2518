import t from 'tap';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'node-zookeeper-client';
import { ZooKeeperStore } from '../../src/registry/index.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig } from '../server/helpers.ts';
import { herald, heraldRun, serve, sidecarDir, startSidecar, type Running } from '../sidecar/processes.ts';
import { credsDir, NO_AUTH, outcome, rawClient } from './creds.ts';
import { parseContender } from '../../src/lease/path.ts';

// A ZooKeeper with digest auth, the policy applied by `herald acl apply`,
// and real herald processes: the DNS server reads anonymously, the sidecar
// registers as "web", the operator drains as "ops", a lease worker holds a
// lease. Then an anonymous client and non-operator identities try what the
// issue did as an attacker.

const creds = await credsDir();
t.teardown(() => creds.cleanup());
const admin = await creds.make('admin');
const ops = await creds.make('ops');
const web = await creds.make('web');
const lw1 = await creds.make('cron1');
const lw2 = await creds.make('cron2');
const intruder = await creds.make('intruder');
const secrets = [admin, ops, web, lw1, lw2, intruder].map((c) => c.password);

const superUser = await creds.make('super');
const zk = await ZooKeeper.start({ superDigest: superUser.digest });
t.teardown(() => zk.stop());

const applyArgs = ['acl', 'apply', '--zk', zk.connectString, '--zk-auth', admin.path, '--operator', ops.path, '--sidecar', web.digest,
  '--lease-worker', lw1.path, '--lease-worker', lw2.digest, '--zone', 'coal.joyent.us'];
const applied = await heraldRun(applyArgs);
if (applied.code !== 0) throw new Error(`herald acl apply: ${applied.stderr}`);

const { port: dnsPort, proc: server } = await serve(zk.connectString, 'coal.joyent.us');
t.teardown(() => server.stop());

const app: Server = createServer((req, res) => res.end('ok'));
await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
t.teardown(() => { app.closeAllConnections(); app.close(); });
const appPort = (app.address() as { port: number }).port;

const SRV = '_http._tcp.web.coal.joyent.us';
const answers = async (): Promise<string[]> => (await dig(dnsPort, ['SRV', SRV])).answer.sort();
const inDns = async (instance: string): Promise<boolean> => (await answers()).some((l) => l.includes(`${instance}.web.coal.joyent.us.`));

const d = await sidecarDir();
t.teardown(() => d.cleanup());
const sidecarConfig = (instance: string, authFile: string) => ({
  registration: { domain: 'web.coal.joyent.us', type: 'load_balancer', ttl: 1, ports: [appPort], service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: appPort, ttl: 1 } } },
  adminIp: '127.0.0.1',
  instance,
  drain: { nameservers: [`127.0.0.1:${dnsPort}`], ttlMargin: 200, pollInterval: 100, deadline: 15_000 },
  zookeeper: { servers: [{ host: '127.0.0.1', port: zk.ports[0] }], timeout: 4000, authFile },
});
const sidecar: Running = await startSidecar(['--config', await d.write(sidecarConfig('web-1', web.path)), '--admin-socket', 'none']);
t.teardown(() => sidecar.stop('SIGKILL'));
await waitFor('web-1 in DNS', () => inDns('web-1'), 15_000);

const lease = herald(['lease', 'run', '--zk', zk.connectString, '--zk-auth', lw1.path, '--instance', 'cron-a', 'cron', '--', 'sleep', '600']);
t.teardown(() => lease.stop('SIGKILL'));
await waitFor('the lease held', () => /holding lease cron/.test(lease.stderr), 15_000);

const reader = ZooKeeperStore.open({ connect: zk.connectString });
t.teardown(() => reader.close());
await reader.ready(10_000);

t.test('acl apply is idempotent, and acl show prints the policy', async (t) => {
  t.match(applied.stdout, /^created +\/herald\n/m);
  const again = await heraldRun(applyArgs);
  t.equal(again.code, 0, again.stderr);
  t.notMatch(again.stdout, /^(created|set) /m, 'nothing to change the second time');
  const shown = await heraldRun(['acl', 'show', '--zk', zk.connectString, '--zone', 'coal.joyent.us']);
  t.equal(shown.code, 0);
  t.match(shown.stdout, /^operators: +ops$/m);
  t.match(shown.stdout, /^sidecars: +web$/m);
  t.match(shown.stdout, /^lease workers: +cron1, cron2$/m);
  t.match(shown.stdout, /^\/herald\/drain +world:anyone=r digest:admin=rwcda digest:ops=rcd$/m);
  t.match(shown.stdout, /^\/us\/joyent\/coal +world:anyone=r digest:admin=rwcda digest:web=rc$/m);
});

t.test('herald status warns while the registry is open, not once the policy is applied', async (t) => {
  const args = ['--nameservers', `127.0.0.1:${dnsPort}`, 'web.coal.joyent.us'];
  const closed = await heraldRun(['status', '--zk', zk.connectString, ...args]);
  t.equal(closed.code, 0, closed.stderr);
  t.notMatch(closed.stderr, /warning/);
  t.match(closed.stdout, /web-1/, 'the report itself');
  // A chroot of the same ensemble where no policy was applied: open.
  const open = await heraldRun(['status', '--zk', `${zk.connectString}/elsewhere`, ...args]);
  t.match(open.stderr, /^herald status: warning: the registry is open: .+herald acl apply/m);
});

t.test('the operator drains and resumes with --zk-auth', async (t) => {
  const before = await answers();
  const drained = await heraldRun(['drain', '--zk', zk.connectString, '--zk-auth', ops.path, 'web.coal.joyent.us', 'web-1', '--timeout', '12'], 30_000);
  t.equal(drained.code, 0, drained.stderr);
  t.notOk(await inDns('web-1'), 'drained: out of DNS');
  const resumed = await heraldRun(['resume', '--zk', zk.connectString, '--zk-auth', ops.path, 'web.coal.joyent.us', 'web-1']);
  t.equal(resumed.code, 0, resumed.stderr);
  await waitFor('web-1 back in DNS', () => inDns('web-1'), 15_000);
  t.same(await answers(), before);
});

t.test('anonymous and non-operator clients get NOAUTH; DNS is unchanged', async (t) => {
  const before = await answers();
  t.ok(before.length > 0);
  const hostPath = '/us/joyent/coal/web/web-1';
  const host = await reader.get(hostPath);
  // The holder's queue node (its `held-<token>` note beside it is not a contender).
  const leaseNode = (await reader.children('/herald/lease/cron'))!.filter((c) => parseContender(c) !== undefined);
  t.equal(leaseNode.length, 1);
  const leasePath = `/herald/lease/cron/${leaseNode[0]}`;
  const statusPath = '/herald/status/us/joyent/coal/web/web-1';
  const status = await reader.get(statusPath);
  t.ok(status, 'the sidecar published its status');

  const clients: [string, Client][] = [
    ['anonymous', await rawClient(zk.connectString)],
    ['intruder', await rawClient(zk.connectString, intruder)],
    ['the sidecar identity', await rawClient(zk.connectString, web)],
    ['another lease worker', await rawClient(zk.connectString, lw2)],
  ];
  t.teardown(() => { for (const [, c] of clients) c.close(); });
  const data = Buffer.from('{"type":"load_balancer","address":"10.6.6.6","load_balancer":{"address":"10.6.6.6","ports":[80]}}');
  for (const [who, c] of clients) {
    t.equal(await outcome((cb) => c.create('/herald/drain/us/joyent/coal/web/web-1', Buffer.from('{}'), zookeeper().PERSISTENT, cb)), NO_AUTH, `${who}: create a drain intent`);
    t.equal(await outcome((cb) => c.remove(leasePath, -1, cb)), NO_AUTH, `${who}: delete the holder's lease node`);
    t.equal(await outcome((cb) => c.setData('/herald/acl', Buffer.from('{}'), -1, cb)), NO_AUTH, `${who}: rewrite the policy`);
    if (who === 'the sidecar identity') continue; // it registers web-1: the host and status nodes are its own
    t.equal(await outcome((cb) => c.setData(statusPath, Buffer.from('{"state":"drained"}'), -1, cb)), NO_AUTH, `${who}: write /herald/status`);
    t.equal(await outcome((cb) => c.create('/herald/status/us/joyent/coal/web/web-9', Buffer.from('{}'), zookeeper().PERSISTENT, cb)), NO_AUTH, `${who}: forge a status node`);
    t.equal(await outcome((cb) => c.setData(hostPath, data, -1, cb)), NO_AUTH, `${who}: overwrite the host node`);
    t.equal(await outcome((cb) => c.remove(hostPath, -1, cb)), NO_AUTH, `${who}: delete the host node`);
    t.equal(await outcome((cb) => c.create('/us/joyent/coal/web/evil', data, zookeeper().EPHEMERAL, cb)), NO_AUTH, `${who}: add a host node`);
  }
  await sleep(600); // what the issue measured: a forged node was served 0.5 s later
  t.same(await answers(), before, 'dig: DNS unchanged');
  t.equal((await reader.get(hostPath))?.data, host?.data);
  t.equal((await reader.get(statusPath))?.data, status?.data);
  t.same((await reader.children('/herald/lease/cron'))!.filter((c) => parseContender(c) !== undefined), leaseNode, 'the holder is still queued');
  t.equal(await reader.get('/herald/drain/us/joyent/coal/web/web-1'), undefined);

  // binder's read path: an unauthenticated client reads the whole DNS subtree.
  const anon = clients[0]![1];
  const children = await new Promise<string[]>((resolve, reject) => anon.getChildren('/us/joyent/coal/web', undefined, (e, ch) => (e ? reject(e) : resolve(ch))));
  t.same(children, ['web-1']);
  const read = await new Promise<string>((resolve, reject) => anon.getData(hostPath, undefined, (e, d) => (e ? reject(e) : resolve(d!.toString()))));
  t.equal(read, host?.data);
});

t.test('a sidecar with the wrong password: one line, retries, no exit, no hot loop', async (t) => {
  const wrong = await creds.make('web', 0o600, 'not-the-password');
  const cfg = await d.write(sidecarConfig('web-2', wrong.path));
  const bad = herald(['sidecar', '--config', cfg, '--admin-socket', 'none']);
  t.teardown(() => bad.stop('SIGKILL'));
  await waitFor('the NOAUTH line', () => /NOAUTH/.test(bad.stderr + bad.stdout), 15_000);
  const cpu0 = await cpuMs(bad.child.pid!);
  await sleep(4000);
  const cpuUsed = (await cpuMs(bad.child.pid!)) - cpu0;
  t.equal(bad.child.exitCode, null, 'still running');
  const lines = (bad.stderr + bad.stdout).split('\n').filter((l) => /NOAUTH/.test(l));
  t.equal(lines.length, 1, `said once: ${lines.join('\n')}`);
  t.ok(cpuUsed < 400, `CPU over 4 s: ${cpuUsed} ms (bound 400 ms, 10 %)`);
  t.notOk(await inDns('web-2'), 'not registered');
  t.notMatch(bad.stderr + bad.stdout, 'not-the-password');
});

t.test('a credentials file readable by others is refused (usage, exit 2)', async (t) => {
  const open = await creds.make('ops', 0o644);
  const r = await heraldRun(['drain', '--zk', zk.connectString, '--zk-auth', open.path, 'web.coal.joyent.us', 'web-1']);
  t.equal(r.code, 2);
  t.match(r.stderr, /mode 0644 lets group or others read it; chmod 600 it/);
  t.notMatch(r.stderr, open.password);
  const side = await heraldRun(['sidecar', '--config', await d.write(sidecarConfig('web-3', open.path)), '--admin-socket', 'none']);
  t.equal(side.code, 2);
  t.match(side.stderr, /mode 0644/);
});

t.test('no credential in any log line or /proc/<pid>/cmdline of a herald process', async (t) => {
  const pids = [server.child.pid!, sidecar.child.pid!, lease.child.pid!, ...(await childrenOf(lease.child.pid!))];
  t.ok(pids.length >= 4, 'serve, sidecar, lease and the lease\'s command');
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    for (const s of secrets) {
      t.notOk(cmdline.includes(s), `pid ${pid} cmdline`);
      t.notOk(environ.includes(s), `pid ${pid} environment`);
    }
  }
  const logs = [server, sidecar, lease].map((p) => p.stdout + p.stderr).join('\n') + applied.stdout + applied.stderr;
  t.ok(logs.length > 0);
  for (const s of secrets) t.notOk(logs.includes(s), 'no password in the output');
});

function zookeeper(): { PERSISTENT: number; EPHEMERAL: number } {
  return { PERSISTENT: 0, EPHEMERAL: 1 };
}

async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}
