import t from 'tap';

// Clock times in the output are local: make them UTC here, as the expected values are.
process.env['TZ'] = 'UTC';
import { waitFor } from '../fixtures/wait.ts';
import { ephemeralOwners } from '../fixtures/zookeeper.ts';
import { Cluster, cli, run, SERVICE, startStates, stop } from '../operator/cluster.ts';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

t.test('bad usage exits 2 with one line', async (t) => {
  for (const args of [['status', 'a.us', 'b.us'], ['status', '--timeout', 'soon'], ['status', '--nameservers', 'not-an-ip'], ['status', '--bogus']]) {
    const r = await cli(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, /^herald status: .+\nusage: herald status/);
  }
});

t.test('an unreachable registry: exit 1 and one line', async (t) => {
  const r = await cli(['status', '--zk', '127.0.0.1:1', '--connect-timeout', '0.5', '--nameservers', '127.0.0.1:1']);
  t.equal(r.code, 1);
  t.match(r.stderr, /^herald status: cannot read the registry: .+ \(HERALD_OPERATOR_REGISTRY_READ\)\n$/);
});

t.test('status against real ZooKeeper, two herald serve nameservers and sidecars in four states', async (t) => {
  const c: Cluster = await startStates();
  t.teardown(() => c.stop());
  const zk = c.zk.connectString;
  const ns = c.nameservers;

  t.test('--json reports each instance exactly', async (t) => {
    // A real `herald` process once; the rest run in this process (same code, no start-up cost).
    const r = await run(['status', '--zk', zk, '--nameservers', ns.join(','), DOMAIN_ARG, '--json']);
    t.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    t.equal(report.domain, 'coal.joyent.us');
    t.same(report.nameservers, ns.map((n) => ({ nameserver: n, answering: true })));
    t.equal(report.services.length, 1);
    const svc = report.services[0];
    t.match(svc, { domain: SERVICE, srv: `_http._tcp.${SERVICE}`, port: 80, srvTtl: { ttl: 1, from: 'service.service.ttl' } });
    t.same(svc.instances.map((i: { instance: string }) => i.instance), ['dnd', 'drn', 'ok', 'sick'], 'sorted by instance');
    const by = Object.fromEntries(svc.instances.map((i: { instance: string }) => [i.instance, i]));
    const [ok, sick, drn, dnd] = await Promise.all(['ok', 'sick', 'drn', 'dnd'].map((i) => c.status(i)));
    const yes = ns.map((n) => ({ nameserver: n, served: 'yes', status: 'NOERROR' }));
    const no = ns.map((n) => ({ nameserver: n, served: 'no', status: 'NOERROR' }));

    const okSession = (await ephemeralOwners(c.zk.ports[0]!)).get('/us/joyent/coal/web/ok');
    t.match(okSession, /^0x[0-9a-f]+$/, 'ZooKeeper names the sidecar\'s session');
    t.match(by.ok, { name: `ok.${SERVICE}`, address: '10.0.0.1', ports: [18080], type: 'load_balancer', state: 'registered', session: okSession, healthy: true, served: true, since: iso(ok!.since), lastCheck: { ok: true } });
    t.same(by.ok.nameservers, yes);
    t.notOk('phase' in by.ok);

    t.match(by.sick, { state: 'unhealthy', session: 'none', healthy: false, served: false, address: null, since: iso(sick!.since), sidecar: { pid: sick!.pid }, lastCheck: { ok: false } });
    t.ok(sick!.since! <= sick!.updatedAt, 'since: when the state began, not the last publish');
    t.same(by.sick.nameservers, no);

    t.match(by.drn, { state: 'draining', phase: 'ttl', session: 'none', served: false, reason: 'update drn', since: iso(drn!.drain!.startedAt) });
    t.same(by.drn.nameservers, no);
    t.equal(by.drn.drain.ttlMs, 60_000, 'the drain progress as the sidecar published it');

    t.match(by.dnd, { state: 'drained', session: 'none', served: false, reason: 'update dnd', since: iso(dnd!.drain!.endedAt) });
    t.notOk('phase' in by.dnd, 'a drain that finished shows no phase');
    t.same(by.dnd.nameservers, no);
  });

  t.test('a terminal-less table: sorted, aligned, no colour codes', async (t) => {
    const r = await cli(['status', '--zk', zk, '--nameservers', ns.join(',')]);
    t.equal(r.code, 0, r.stderr);
    t.notMatch(r.stdout, /\u001b\[/, 'no ANSI codes when stdout is not a TTY');
    const lines = r.stdout.trimEnd().split('\n');
    t.match(lines[0], new RegExp(`^SERVICE +INSTANCE +ADDRESS +PORTS +STATE +SINCE +SESSION +${ns[0]!.replace(/\./g, '\\.')} +${ns[1]!.replace(/\./g, '\\.')}$`));
    t.same(lines.slice(1).map((l) => l.split(/\s{2,}/)[1]), ['dnd', 'drn', 'ok', 'sick']);
    const col = (name: string) => lines[0]!.indexOf(name);
    for (const name of ['INSTANCE', 'STATE', 'SESSION']) {
      t.ok(lines.slice(1).every((l) => l.slice(col(name) - 2, col(name)) === '  ' && l[col(name)] !== ' '), `${name} column aligned`);
    }
    const drn = await c.status('drn');
    t.match(lines[2], new RegExp(`^${SERVICE} +drn +- +- +draining \\(ttl\\) +${new Date(drn!.drain!.startedAt).toISOString().slice(11, 19)} +none +no +no$`));
    const okSession = (await ephemeralOwners(c.zk.ports[0]!)).get('/us/joyent/coal/web/ok')!;
    t.match(lines[3], new RegExp(`^web\\.coal\\.joyent\\.us +ok +10\\.0\\.0\\.1 +18080 +registered +\\d\\d:\\d\\d:\\d\\d +${okSession} +yes +yes$`), 'SESSION: the owner session id, as zkCli shows it');
  });

  t.test('colour on a terminal only, and never with NO_COLOR', async (t) => {
    const args = ['status', '--zk', zk, '--nameservers', ns.join(',')];
    const tty = await cli(args, { tty: true, env: { NO_COLOR: '' } });
    t.match(tty.stdout, /\u001b\[32mregistered\u001b\[0m/, 'registered in green');
    t.match(tty.stdout, /\u001b\[31munhealthy\u001b\[0m/, 'unhealthy in red');
    t.equal(tty.stdout.replace(/\u001b\[\d+m/g, ''), (await cli(args)).stdout, 'the same table without the codes');
    t.notMatch((await cli(args, { tty: true, env: { NO_COLOR: '1' } })).stdout, /\u001b\[/);
  });

  t.test('a stopped nameserver shows as not answering', async (t) => {
    const stopped = c.servers[1]!;
    t.equal(await stop(stopped), 0);
    const r = await cli(['status', '--zk', zk, '--nameservers', ns.join(','), '--json', '--timeout', '0.5']);
    t.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    t.match(report.nameservers, [{ nameserver: ns[0], answering: true }, { nameserver: ns[1], answering: false, error: /./ }]);
    const ok = report.services[0].instances.find((i: { instance: string }) => i.instance === 'ok');
    t.same(ok.nameservers, [{ nameserver: ns[0], served: 'yes', status: 'NOERROR' }, { nameserver: ns[1], served: 'unknown', status: 'NO ANSWER' }]);
    t.equal(ok.served, true, 'served: every nameserver that answers serves it');
    const text = await cli(['status', '--zk', zk, '--nameservers', ns.join(','), '--timeout', '0.5']);
    t.match(text.stdout, new RegExp(`ok .+ yes +no answer\\n`));
    t.match(text.stdout, new RegExp(`nameserver ${ns[1]!.replace(/\./g, '\\.')} is not answering`));
  });
});

const DOMAIN_ARG = 'coal.joyent.us';

t.test('a sidecar killed with -9: its status stays "registered" but the host node goes with the session; status says absent', async (t) => {
  const c: Cluster = await Cluster.start([{ instance: 'ok', address: '10.0.0.1', healthy: true, ttl: 30 }]);
  t.teardown(() => c.stop());
  await c.waitStatus('ok', 'registered', (s) => s.state === 'registered');
  const args = ['status', '--zk', c.zk.connectString, '--nameservers', c.nameservers.join(','), '--json'];
  const instance = async () => JSON.parse((await cli(args)).stdout).services[0].instances[0];
  await waitFor('served', async () => (await instance()).served, 5000);
  c.sidecars.get('ok')!.child.kill('SIGKILL');
  await waitFor('the host node gone with its session', async () => (await c.store.get(`/us/joyent/coal/web/ok`)) === undefined, 15_000, 100);
  const i = await waitFor('absent everywhere', async () => { const x = await instance(); return x.state === 'absent' && !x.served ? x : undefined; }, 5000);
  t.match(i, { state: 'absent', session: 'none', reason: /sidecar status says registered, but there is no host node/ });
  t.same(i.nameservers.map((n: { served: string }) => n.served), ['no', 'no']);
});
