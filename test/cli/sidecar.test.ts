import t from 'tap';
import { join } from 'node:path';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeperStore } from '../../src/registry/index.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig } from '../server/helpers.ts';
import { heraldRun, serve, sidecarDir, startSidecar } from '../sidecar/processes.ts';
import { REGISTRAR_SAMPLE } from '../sidecar/registrar-sample.ts';
import { instanceAddress } from '../../src/sidecar/records.ts';
import { adminRequest } from '../../src/drain/admin-request.ts';

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());
const { port, proc: server } = await serve(zk.connectString, 'coal.joyent.us');
t.teardown(() => server.stop());
const reader = ZooKeeperStore.open({ connect: zk.connectString });
t.teardown(() => reader.close());
await reader.ready(10_000);

const srv = async (name: string) => (await dig(port, ['SRV', name])).answer;

t.test('bad config: one line naming the field, exit 2; unreadable file too', async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  const file = await d.write({ registration: { domain: 'x.coal.joyent.us', type: 'rr_host', ports: [0] } });
  const r = await heraldRun(['sidecar', '--config', file, '--zk', zk.connectString]);
  t.equal(r.code, 2);
  t.equal(r.stderr, `herald sidecar: ${file}: registration.ports[0]: expected a port number from 1 to 65535, got 0\n`);
  const missing = await heraldRun(['sidecar', '--config', join(d.dir, 'nope.json')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /^herald sidecar: cannot read .*nope\.json: ENOENT\n$/);
  const nozk = await heraldRun(['sidecar', '--config', await d.write({ registration: { domain: 'x.coal.joyent.us', type: 'rr_host', ports: [53] } })]);
  t.equal(nozk.code, 2);
  t.match(nozk.stderr, /^herald sidecar: no ZooKeeper: give --zk HOSTS or zookeeper.servers in the config\n/);
  const usage = await heraldRun(['sidecar']);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /^herald sidecar: --config FILE is required\nusage:/);
});

t.test('moray_host with ports, alias and adminIp: exact znodes, DNS answers, health flapping, SIGTERM gone in < 1 s', async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  const health = join(d.dir, 'healthy');
  await writeFile(health, 'ok\n');
  const socket = join(d.dir, 'admin.sock');
  const file = await d.write({
    registration: {
      domain: 'moray.coal.joyent.us', type: 'moray_host', aliases: ['moray-a.coal.joyent.us'], ttl: 30, ports: [2021, 2022], heartbeatInterval: 3000,
      service: { type: 'service', service: { srvce: '_moray', proto: '_tcp', port: 2020 }, ttl: 60 },
    },
    adminIp: '127.0.0.12',
    instance: 'zone-a',
    healthCheck: { command: `cat ${health}`, interval: 100, timeout: 1000, rise: 2, fall: 2, stdoutMatch: { pattern: '^ok', flags: 'm' } },
    drain: { nameservers: [`127.0.0.1:${port}`], signalDeadline: 300, ttlMargin: 0 },
    zookeeper: { servers: [{ host: '127.0.0.1', port: zk.ports[0] }], timeout: 4000, connectTimeout: 4000 },
    logLevel: 'info',
    colour: 'blue',
  });
  const sidecar = await startSidecar(['--config', file, '--admin-socket', socket, '--metrics', '127.0.0.1:0']);
  t.teardown(() => sidecar.stop('SIGKILL'));
  t.equal((await stat(socket)).mode & 0o777, 0o600, 'admin socket mode 0600');
  t.match(sidecar.stderr, /colour: unknown field, ignored/, 'unknown fields are warned about');

  const host = '{"type":"moray_host","address":"127.0.0.12","ttl":30,"moray_host":{"address":"127.0.0.12","ports":[2021,2022]}}';
  await waitFor('registered', async () => (await reader.get('/us/joyent/coal/moray-a'))?.data === host, 10_000);
  t.same(await reader.get('/us/joyent/coal/moray'), { data: '{"type":"service","service":{"type":"service","service":{"srvce":"_moray","proto":"_tcp","port":2020,"ttl":60},"ttl":60}}', ephemeral: false, ownedByMe: false });
  t.match(await reader.get('/us/joyent/coal/moray-a'), { data: host, ephemeral: true, ownedByMe: false, session: /^0x[0-9a-f]+$/ }, 'the alias');
  await waitFor('in DNS', async () => (await srv('_moray._tcp.moray.coal.joyent.us')).length === 2, 5000);
  t.same((await srv('_moray._tcp.moray.coal.joyent.us')).sort(), [
    '_moray._tcp.moray.coal.joyent.us. 60 IN SRV 0 10 2021 zone-a.moray.coal.joyent.us.',
    '_moray._tcp.moray.coal.joyent.us. 60 IN SRV 0 10 2022 zone-a.moray.coal.joyent.us.',
  ]);
  t.same((await dig(port, ['A', 'zone-a.moray.coal.joyent.us'])).answer, ['zone-a.moray.coal.joyent.us. 30 IN A 127.0.0.12']);
  t.same((await dig(port, ['A', 'moray-a.coal.joyent.us'])).answer, ['moray-a.coal.joyent.us. 30 IN A 127.0.0.12']);

  // Flapping: fall after 2 failures, rise after 2 successes, every cycle; aliases follow.
  for (let cycle = 0; cycle < 2; cycle++) {
    await writeFile(health, 'degraded\n');
    await waitFor('out of DNS', async () => (await srv('_moray._tcp.moray.coal.joyent.us')).length === 0, 5000);
    await waitFor('alias removed', async () => (await reader.get('/us/joyent/coal/moray-a')) === undefined, 2000);
    t.pass(`cycle ${cycle}: alias removed too`);
    await writeFile(health, 'ok\n');
    await waitFor('back in DNS', async () => (await srv('_moray._tcp.moray.coal.joyent.us')).length === 2, 5000);
    await waitFor('alias back', async () => (await reader.get('/us/joyent/coal/moray-a')) !== undefined, 2000);
    t.pass(`cycle ${cycle}: alias back`);
  }
  t.notMatch(sidecar.stderr, /NODE_EXISTS|HERALD_NODE_OWNED/, 'no overlapping registrations');
  const metricsUrl = /metrics (http:\S+)/.exec(sidecar.stdout)![1]!;
  const metrics = await (await fetch(metricsUrl)).text();
  t.match(metrics, /herald_sidecar_registered\{domain="moray.coal.joyent.us",instance="zone-a"\} 1/);
  t.match(metrics, /herald_sidecar_health_transitions_total\{to="down",domain="moray.coal.joyent.us",instance="zone-a"\} 2/);
  t.match(metrics, /herald_sidecar_health_checks_total\{result="fail",[^}]*\} [1-9]/);
  t.match(metrics, /herald_sidecar_health_check_seconds_count\{[^}]*\} [1-9]/);

  // SIGTERM: out of DNS at once, exit 0.
  const started = Date.now();
  sidecar.child.kill('SIGTERM');
  await waitFor('gone from DNS', async () => (await srv('_moray._tcp.moray.coal.joyent.us')).length === 0, 5000, 10);
  const gone = Date.now() - started;
  t.ok(gone < 1000, `gone from DNS ${gone} ms after SIGTERM`);
  t.equal(await sidecar.exit, 0, 'exit 0');
  t.equal(await reader.get('/us/joyent/coal/moray-a'), undefined);
  await sleep(50);
  await t.rejects(stat(socket), { code: 'ENOENT' }, 'the admin socket is removed');
});

t.test('rr_host (binder itself) and load_balancer: the DNS answers that follow', async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  const shapes = [
    {
      registration: { domain: 'binder.coal.joyent.us', type: 'rr_host', service: { type: 'service', service: { srvce: '_dns', proto: '_udp', port: 53 } } },
      adminIp: '127.0.0.21', instance: 'b1',
      srv: ['_dns._udp.binder.coal.joyent.us', ['_dns._udp.binder.coal.joyent.us. 60 IN SRV 0 10 53 b1.binder.coal.joyent.us.']],
      a: ['b1.binder.coal.joyent.us', ['b1.binder.coal.joyent.us. 30 IN A 127.0.0.21']],
    },
    {
      registration: { domain: 'authcache.coal.joyent.us', type: 'load_balancer', ttl: 30, ports: [6379], service: { type: 'service', service: { srvce: '_redis', proto: '_tcp', port: 6379, ttl: 60 } } },
      adminIp: '127.0.0.22', instance: 'r1',
      srv: ['_redis._tcp.authcache.coal.joyent.us', ['_redis._tcp.authcache.coal.joyent.us. 60 IN SRV 0 10 6379 r1.authcache.coal.joyent.us.']],
      a: ['authcache.coal.joyent.us', ['authcache.coal.joyent.us. 30 IN A 127.0.0.22']],
    },
  ] as const;
  for (const shape of shapes) {
    const file = await d.write({ registration: shape.registration, adminIp: shape.adminIp, instance: shape.instance, drain: { nameservers: [`127.0.0.1:${port}`], signalDeadline: 0 } });
    const sidecar = await startSidecar(['--config', file, '--zk', zk.connectString, '--admin-socket', 'none']);
    t.teardown(() => sidecar.stop('SIGKILL'));
    await waitFor(`${shape.instance} in DNS`, async () => (await srv(shape.srv[0])).length > 0, 10_000);
    t.same(await srv(shape.srv[0]), shape.srv[1], `${shape.registration.type}: SRV`);
    t.same((await dig(port, ['A', shape.a[0]])).answer, shape.a[1], `${shape.registration.type}: A`);
    t.equal(await sidecar.stop(), 0);
    t.same(await srv(shape.srv[0]), [], 'gone after SIGTERM');
  }
});

t.test("registrar's own sample config, verbatim: the host node and its alias hold registrar's bytes; herald serve answers both", async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  const file = join(d.dir, 'config.coal.json');
  await writeFile(file, REGISTRAR_SAMPLE);
  // The sample points at 10.99.99.11: --zk overrides it; the file stays as registrar ships it.
  const sidecar = await startSidecar(['--config', file, '--zk', zk.connectString, '--admin-socket', 'none']);
  t.teardown(() => sidecar.stop('SIGKILL'));
  const address = instanceAddress({});
  const expected = `{"type":"host","address":"${address}","host":{"address":"${address}"}}`;
  for (const path of [`/us/joyent/coal/test/${hostname()}`, '/us/joyent/coal/test/alias-1']) {
    const node = await waitFor(path, () => reader.get(path), 10_000);
    t.equal(node.data, expected, `${path}: registrar's record`);
    t.equal(node.ephemeral, true);
  }
  t.equal(await reader.get('/us/joyent/coal/test').then((n) => n?.data ?? null), null, 'no service record');
  for (const name of [`${hostname()}.test.coal.joyent.us`, 'alias-1.test.coal.joyent.us']) {
    await waitFor(`${name} in DNS`, async () => (await dig(port, ['A', name])).answer.length > 0, 10_000);
    t.same((await dig(port, ['A', name])).answer, [`${name.toLowerCase()}. 30 IN A ${address}`]);
  }
  t.notOk(/unknown field/.test(sidecar.stderr), 'no warnings for a field of registrar\'s own sample');
});

t.test('adminSocket at an existing regular file: left untouched, never replaced', async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  const precious = join(d.dir, 'precious.txt');
  await writeFile(precious, 'keep me\n');
  const file = await d.write({ registration: { domain: 'sock.coal.joyent.us', type: 'load_balancer', ports: [80] }, adminIp: '127.0.0.31', instance: 's1', adminSocket: precious, drain: { signalDeadline: 0 } });
  const sidecar = await startSidecar(['--config', file, '--zk', zk.connectString]);
  t.teardown(() => sidecar.stop('SIGKILL'));
  t.equal(await readFile(precious, 'utf8'), 'keep me\n', 'the file is still there, unchanged');
  t.ok((await stat(precious)).isFile());
  t.match(sidecar.stderr, /exists and is not a socket: left as it is/);
  t.notMatch(sidecar.stdout, /admin socket /);
});

t.test('metrics: a busy port is one line and exit 1 before registering; a malformed value is exit 2', async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => busy.close());
  const busyPort = (busy.address() as { port: number }).port;
  const base = { registration: { domain: 'metrics.coal.joyent.us', type: 'load_balancer', ports: [80] }, adminIp: '127.0.0.32', instance: 'm1', adminSocket: 'none' };
  const write = async (name: string, config: object): Promise<string> => {
    const path = join(d.dir, name);
    await writeFile(path, JSON.stringify(config));
    return path;
  };
  // Three processes at once: the checks are independent.
  const [r, bad, flag] = await Promise.all([
    heraldRun(['sidecar', '--config', await write('busy.json', { ...base, metrics: `127.0.0.1:${busyPort}` }), '--zk', zk.connectString]),
    heraldRun(['sidecar', '--config', await write('bad.json', { ...base, metrics: 'localhost:9154' }), '--zk', zk.connectString]),
    heraldRun(['sidecar', '--config', await write('flag.json', base), '--zk', zk.connectString, '--metrics', '127.0.0.1:x']),
  ]);
  t.equal(r.code, 1);
  t.equal(r.stderr.split('\n').filter((l) => !l.startsWith('{')).join('\n'), `herald sidecar: cannot serve metrics on 127.0.0.1:${busyPort}: EADDRINUSE\n`);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.equal(await reader.get('/us/joyent/coal/metrics/m1'), undefined, 'never registered');
  t.equal(await reader.get('/herald/status/us/joyent/coal/metrics/m1'), undefined, 'no status published');
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^herald sidecar: .*bad\.json: metrics: expected ADDR:PORT or \[IPv6\]:PORT \(invalid listen address "localhost:9154"/);
  t.equal(flag.code, 2);
  t.match(flag.stderr, /^herald sidecar: --metrics: invalid listen address "127\.0\.0\.1:x"/);
});

t.test('a stdoutMatch that backtracks catastrophically: the admin socket still answers, the check fails at its timeout', async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  const socket = join(d.dir, 'admin.sock');
  const file = await d.write({
    registration: { domain: 'regex.coal.joyent.us', type: 'load_balancer', ports: [80] }, adminIp: '127.0.0.33', instance: 'x1',
    healthCheck: { command: `printf '${'a'.repeat(40)}!'`, interval: 60_000, timeout: 1500, stdoutMatch: { pattern: '^(a+)+$' } },
    drain: { signalDeadline: 0 },
  });
  const sidecar = await startSidecar(['--config', file, '--zk', zk.connectString, '--admin-socket', socket]);
  t.teardown(() => sidecar.stop('SIGKILL'));
  const status = async (): Promise<{ ms: number; value: Record<string, unknown> | undefined }> => {
    const started = Date.now();
    let value: Record<string, unknown> | undefined;
    await adminRequest(socket, { op: 'status' }, (v) => { value = v; }, AbortSignal.timeout(1000));
    return { ms: Date.now() - started, value };
  };
  // The first check is running now (it starts with the sidecar) and holds its pattern for 1.5 s.
  for (let i = 0; i < 3; i++) {
    const r = await status();
    t.ok(r.value, `status answered in ${r.ms} ms while the pattern runs`);
    await sleep(200);
  }
  const failed = await waitFor('the check to fail at its bound', async () => {
    const r = await status();
    return (r.value?.['lastCheck'] as { ok: boolean } | undefined)?.ok === false ? r.value : undefined;
  }, 10_000);
  t.match(failed, { state: 'unhealthy', healthy: false, lastCheck: { ok: false, detail: /took longer than 1500 ms \(stopped\)/ } });
  t.equal(await reader.get('/us/joyent/coal/regex/x1'), undefined, 'not registered');
});

t.test('a registration without a service drains to "drained": REFUSED for it while herald serve answers a sibling in the same round', async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  // Another instance of the same host-only name, registered by an independent client.
  await reader.putEphemeral('/us/joyent/coal/hostonly/other', '{"type":"host","address":"127.0.0.41","host":{"address":"127.0.0.41"}}');
  t.teardown(() => reader.delete('/us/joyent/coal/hostonly/other'));
  const file = await d.write({
    registration: { domain: 'hostonly.coal.joyent.us', type: 'host', ttl: 1 }, adminIp: '127.0.0.40', instance: 'h1',
    drain: { nameservers: [`127.0.0.1:${port}`], pollInterval: 50, ttlMargin: 0, signalDeadline: 0, lookupTimeout: 500 },
  });
  const sidecar = await startSidecar(['--config', file, '--zk', zk.connectString, '--admin-socket', 'none']);
  t.teardown(() => sidecar.stop('SIGKILL'));
  await waitFor('h1 in DNS', async () => (await dig(port, ['A', 'h1.hostonly.coal.joyent.us'])).answer.length > 0, 10_000);
  const r = await heraldRun(['drain', '--zk', zk.connectString, 'hostonly.coal.joyent.us', 'h1', '--timeout', '8', '--json']);
  t.equal(r.code, 0, `drained, not the deadline: ${r.stderr}`);
  const progress = JSON.parse(r.stdout.trim().split('\n').at(-1)!).drain;
  t.match(progress, { phase: 'drained', nameservers: [{ nameserver: `127.0.0.1:${port}`, state: 'absent', detail: 'REFUSED while it serves A other.hostonly.coal.joyent.us' }] });
  const absentMs = progress.phases.find((p: { phase: string }) => p.phase === 'absent').ms;
  t.ok(absentMs < 2000, `absence proven in ${absentMs} ms`);
  t.equal((await dig(port, ['A', 'h1.hostonly.coal.joyent.us'])).status, 'REFUSED', 'herald serve: REFUSED for the name it no longer holds');
});

t.test('singleton: a lease that cannot be queued for (an ephemeral node in the way) is logged and retried; the sidecar keeps running', async (t) => {
  const d = await sidecarDir();
  t.teardown(() => d.cleanup());
  // ZooKeeper refuses children under an ephemeral node: every queueing attempt fails.
  await reader.putEphemeral('/herald/lease/blocked', null);
  t.teardown(() => reader.delete('/herald/lease/blocked'));
  const file = await d.write({
    registration: { domain: 'single.coal.joyent.us', type: 'load_balancer', ports: [80] }, adminIp: '127.0.0.34', instance: 'g1',
    singleton: { name: 'blocked', command: 'sleep 30', restartDelay: 100 },
    drain: { signalDeadline: 0 },
  });
  const sidecar = await startSidecar(['--config', file, '--zk', zk.connectString, '--admin-socket', 'none']);
  t.teardown(() => sidecar.stop('SIGKILL'));
  await waitFor('two failed attempts logged', () => (sidecar.stderr.match(/could not queue for the lease/g) ?? []).length >= 2, 10_000);
  t.equal(sidecar.child.exitCode, null, 'still running');
  t.match(await reader.get('/us/joyent/coal/single/g1'), { ephemeral: true }, 'still registered');
  t.equal(await sidecar.stop(), 0, 'and stops cleanly');
});
