import t from 'tap';

// Clock times in the output are local: make them UTC here, as the expected values are.
process.env['TZ'] = 'UTC';
import { lookup } from '../../src/resolver/lookup.ts';
import { waitFor } from '../fixtures/wait.ts';
import { ephemeralOwners } from '../fixtures/zookeeper.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { cli, run, SERVICE, startStates, stop, type Cluster } from '../operator/cluster.ts';

const utc = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

t.test('bad usage exits 2', async (t) => {
  for (const args of [['why'], ['why', 'a.us', 'b.us'], ['why', 'a.us', '--connect-timeout=0']]) {
    const r = await cli(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, /^herald why: .+\nusage: herald why/);
  }
});

t.test('why against real ZooKeeper, two herald serve nameservers and sidecars in four states', async (t) => {
  const c: Cluster = await startStates();
  t.teardown(() => c.stop());
  const common = ['--zk', c.zk.connectString, '--nameservers', c.nameservers.join(',')];
  const [ns0, ns1] = c.nameservers as [string, string];

  t.test('a service: znodes, TTLs, each answer, every instance, and the verdict last', async (t) => {
    // A real `herald` process once; the rest run in this process (same code, no start-up cost).
    const r = await run(['why', SERVICE, ...common], { TZ: 'UTC' });
    t.equal(r.code, 0, r.stderr);
    const [sick, drn, dnd] = await Promise.all(['sick', 'drn', 'dnd'].map((i) => c.status(i)));
    const out = r.stdout;
    t.match(out, new RegExp(`^${re(SERVICE)}: a service; clients ask SRV _http\\._tcp\\.${re(SERVICE)}, A ${re(SERVICE)}\\n`));
    // The znodes and their records.
    t.match(out, '  /us/joyent/coal/web  [persistent]\n    {"type":"service","service":{"type":"service","service":{"srvce":"_http","proto":"_tcp","port":80,"ttl":1}}}\n');
    const okSession = (await ephemeralOwners(c.zk.ports[0]!)).get('/us/joyent/coal/web/ok');
    t.match(out, `  /us/joyent/coal/web/ok  [ephemeral, session ${okSession}]\n    {"type":"load_balancer","address":"10.0.0.1","ttl":30,"load_balancer":{"address":"10.0.0.1","ports":[18080]}}\n`);
    t.match(out, /\/herald\/drain\/us\/joyent\/coal\/web\/drn {2}\[persistent\]\n {4}\{"id":"[^"]+","reason":"update drn"/);
    t.match(out, /\/herald\/status\/us\/joyent\/coal\/web\/sick {2}\[persistent\]\n {4}\{"state":"unhealthy"/);
    // The TTLs that apply (BINDER.md §2).
    t.match(out, /SRV _http\._tcp\.web\.coal\.joyent\.us +1 s +service\.service\.ttl\n/);
    t.match(out, /A ok\.web\.coal\.joyent\.us +30 s +ttl\n/);
    t.match(out, /A web\.coal\.joyent\.us → ok +1 s +min\(SRV TTL, target TTL\)\n/);
    // Each nameserver's answer: the same, only the healthy instance.
    for (const ns of [ns0, ns1]) t.match(out, `    ${ns}  NOERROR\n      1 SRV 0 10 18080 ok.web.coal.joyent.us.\n`);
    t.notMatch(out, /DISAGREE/);
    // The sidecars' status and health.
    t.match(out, `  sick  unhealthy since ${utc(sick!.since!)}\n    reason: health check fell\n    health: failing (sidecar pid ${sick!.pid}`);
    t.match(out, `  drn  draining (ttl) since ${utc(drn!.drain!.startedAt)}\n    reason: update drn\n    health: passing`);
    t.match(out, /drn .+\n(?: {4}.+\n)* {4}drain: absent from every nameserver; waiting out client caches/);
    t.match(out, new RegExp(`  sick  .+\\n(?: {4}.+\\n)* {4}last check: failed at ${utc(sick!.lastCheck!.at).slice(0, 5)}:\\d\\d`), 'the sidecar\'s last health result');
    const lines = out.trimEnd().split('\n');
    const verdict = lines.at(-1)!;
    const m = new RegExp(`^${re(SERVICE)}: 1 of 4 instances served; dnd drained since ${utc(dnd!.drain!.endedAt!)}; drn draining since ${utc(drn!.drain!.startedAt)} \\(phase: ttl, (\\d+) s left\\); sick unhealthy since ${utc(sick!.since!)}$`).exec(verdict);
    t.ok(m, `verdict: ${verdict}`);
    const left = Number(m?.[1]);
    const expected = Math.ceil((drn!.drain!.ttlEndsAt! - Date.now()) / 1000);
    t.ok(left >= expected && left <= expected + 15, `${left} s left of the TTL wait (now ${expected})`);
  });

  t.test('an instance name, and the SRV name, --json', async (t) => {
    const r = await cli(['why', `drn.${SERVICE}`, ...common, '--json']);
    t.equal(r.code, 0, r.stderr);
    const w = JSON.parse(r.stdout);
    t.match(w, { name: `drn.${SERVICE}`, kind: 'instance', service: SERVICE, questions: [{ type: 'SRV', name: `_http._tcp.${SERVICE}` }, { type: 'A', name: `drn.${SERVICE}` }] });
    t.equal(w.instances.length, 1);
    t.match(w.instances[0], { instance: 'drn', state: 'draining', phase: 'ttl', served: false });
    t.match(w.verdict, new RegExp(`^drn\\.${re(SERVICE)}: 0 of 1 instance served; drn draining since \\d\\d:\\d\\d:\\d\\d \\(phase: ttl, \\d+ s left\\)$`));
    // binder answers REFUSED for a name it no longer holds.
    const a = w.answers.find((s: { question: { type: string } }) => s.question.type === 'A');
    t.same(a.replies.map((x: { status: string }) => x.status), ['REFUSED', 'REFUSED']);
    const srv = await cli(['why', `_http._tcp.${SERVICE}`, ...common, '--json']);
    t.match(JSON.parse(srv.stdout), { kind: 'service', service: SERVICE, verdict: new RegExp(`^${re(SERVICE)}: 1 of 4 instances served;`) });
  });

  t.test('a name the registry does not hold: exit 1', async (t) => {
    const r = await cli(['why', `nope.${SERVICE}`, ...common]);
    t.equal(r.code, 1);
    t.match(r.stdout.trimEnd().split('\n').at(-1), `nope.${SERVICE}: not in the registry (no service or instance at /us/joyent/coal/web/nope); binder-compatible servers answer REFUSED`);
  });

  t.test('--bootstrap: the nameservers that _dns._udp.DOMAIN lists, found through --nameservers', async (t) => {
    // binder registers itself this way: a _dns._udp service with rr_host children.
    await c.store.putPersistent('/us/joyent/coal', serviceRecordJson({ service: { srvce: '_dns', proto: '_udp', port: 53 } }));
    for (const [i, ns] of c.nameservers.entries()) {
      await c.store.putEphemeral(`/us/joyent/coal/ns${i}`, hostRecordJson({ type: 'rr_host', address: '127.0.0.1', ports: [Number(ns.split(':')[1])] }));
    }
    await waitFor('the _dns._udp SRV served', async () => (await lookup('_dns._udp.coal.joyent.us', 'SRV', { nameservers: [ns1] }).catch(() => undefined))?.answers.length === 2, 5000);
    const r = await cli(['why', SERVICE, '--zk', c.zk.connectString, '--bootstrap', 'coal.joyent.us', '--nameservers', ns1, '--json']);
    t.equal(r.code, 0, r.stderr);
    const w = JSON.parse(r.stdout);
    t.same(w.nameservers.map((n: { nameserver: string }) => n.nameserver).sort(), [...c.nameservers].sort());
    t.match(w.verdict, new RegExp(`^${re(SERVICE)}: 1 of 4 instances served;`));
  });

  t.test('a stopped nameserver is named in the verdict', async (t) => {
    t.equal(await stop(c.servers[0]!), 0);
    const r = await cli(['why', SERVICE, ...common, '--timeout', '0.5']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, new RegExp(`    ${re(ns0)}  NO ANSWER \\(`));
    t.match(r.stdout.trimEnd().split('\n').at(-1), new RegExp(`^${re(SERVICE)}: 1 of 4 instances served; .*; not answering: ${re(ns0)}$`));
  });
});
