import t from 'tap';
import { questionKey } from '../../src/operator/answers.ts';
import { instanceState } from '../../src/operator/instance-state.ts';
import { collectServices, isFlatService, serviceTtlSource } from '../../src/operator/services.ts';
import { statusReport } from '../../src/operator/status-report.ts';
import { renderStatus } from '../../src/operator/status-render.ts';
import { whyReport } from '../../src/operator/why-report.ts';
import { host, SERVICE_JSON, silent, srvReply, tree, view } from './helpers.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 1, 44);
const SRV = { name: '_http._tcp.web.coal.joyent.us', type: 'SRV' as const };
const status = (instance: string, extra: object) => JSON.stringify({ domain: 'web.coal.joyent.us', instance, healthy: true, registered: false, updatedAt: NOW - 5000, pid: 42, ...extra });

function fixture() {
  const dns = tree({ '/us': null, '/us/joyent': null, '/us/joyent/coal': null, '/us/joyent/coal/web': SERVICE_JSON,
    '/us/joyent/coal/web/a': host('10.0.0.1'), '/us/joyent/coal/web/b': host('10.0.0.2', 5), '/us/joyent/coal/web/gone': host('10.0.0.9') },
    ['/us/joyent/coal/web/a', '/us/joyent/coal/web/b', '/us/joyent/coal/web/gone']);
  const started = Date.UTC(2026, 10, 22, 12, 1, 3);
  const drain = { phase: 'ttl', reason: 'update', startedAt: started, deadlineAt: started + 300_000, phaseAt: started + 100, phases: [], ttlEndsAt: NOW + 41_000, ttlMs: 62_000 };
  const st = tree({
    '/herald/status/us/joyent/coal/web/a': status('a', { state: 'registered', registered: true }),
    '/herald/status/us/joyent/coal/web/c': status('c', { state: 'draining', intent: 'i-c', drain }),
    '/herald/status/us/joyent/coal/web/d': status('d', { state: 'registered', registered: true }),
    '/herald/status/us/joyent/coal/web/e': status('e', { state: 'unhealthy', healthy: false, since: NOW - 60_000 }),
  });
  const intents = tree({
    '/herald/drain/us/joyent/coal/web/c': JSON.stringify({ id: 'i-c', reason: 'update', deadlineMs: 300_000, requestedAt: started - 50 }),
    '/herald/drain/us/joyent/coal/web/f': JSON.stringify({ id: 'i-f', reason: 'later', deadlineMs: 300_000, requestedAt: started }),
  });
  return collectServices(view(dns, st, intents));
}

t.test('instances come from host nodes, sidecar status and drain intents; each gets its state', async (t) => {
  const [web] = fixture();
  t.equal(web!.srvName, '_http._tcp.web.coal.joyent.us');
  const states = Object.fromEntries(web!.instances.map((i) => [i.instance, instanceState(i)]));
  t.same(Object.keys(states), ['a', 'b', 'c', 'd', 'e', 'f', 'gone']);
  t.match(states['a'], { state: 'registered', since: NOW - 5000 });
  t.same(states['b'], { state: 'registered' }, 'a host node without a sidecar (registrar) counts as registered');
  t.match(states['c'], { state: 'draining', phase: 'ttl', since: Date.UTC(2026, 10, 22, 12, 1, 3), reason: 'update' });
  t.match(states['d'], { state: 'absent', reason: /no host node/ }, 'a sidecar that says registered without a host node is stale');
  t.match(states['e'], { state: 'unhealthy', since: NOW - 60_000 }, 'the published since wins over the last publish');
  t.match(states['f'], { state: 'draining', phase: 'requested', reason: 'later' }, 'an intent no sidecar took up');
});

t.test('status report and verdict: served by every answering nameserver; a silent one is named', async (t) => {
  const services = fixture();
  const answers = new Map([[questionKey(SRV), [srvReply('ns1:53', ['a', 'b', 'gone']), silent('ns2:53')]]]);
  const report = statusReport('coal.joyent.us', services, ['ns1:53', 'ns2:53'], answers, NOW);
  t.same(report.nameservers, [{ nameserver: 'ns1:53', answering: true }, { nameserver: 'ns2:53', answering: false, error: 'timeout' }]);
  const a = report.services[0]!.instances.find((i) => i.instance === 'a')!;
  t.same(a.nameservers, [{ nameserver: 'ns1:53', served: 'yes', status: 'NOERROR' }, { nameserver: 'ns2:53', served: 'unknown', status: 'NO ANSWER' }]);
  t.equal(a.served, true);
  const text = renderStatus(report, { color: false });
  t.match(text, /^SERVICE +INSTANCE +ADDRESS +PORTS +STATE +SINCE +SESSION +ns1:53 +ns2:53\n/);
  t.match(text, /\nweb\.coal\.joyent\.us +c +- +- +draining \(ttl\) +\d\d:01:03 +none +no +no answer\n/);
  t.match(text, /nameserver ns2:53 is not answering \(timeout\)\n$/);

  const why = whyReport('web.coal.joyent.us', services, new Map(), ['ns1:53', 'ns2:53'], answers, NOW);
  t.equal(why.verdict, 'web.coal.joyent.us: 3 of 7 instances served; c draining since ' + /\d\d:01:03/.exec(text)![0]
    + ' (phase: ttl, 41 s left); d absent (sidecar status says registered, but there is no host node (sidecar gone?)); e unhealthy since '
    + /\d\d:00:44/.exec(new Date(NOW - 60_000).toTimeString())![0] + '; f drain requested since ' + /\d\d:01:03/.exec(text)![0]
    + ', not yet taken up by its sidecar; not answering: ns2:53');
});

t.test('why: disagreeing nameservers, a REFUSED SRV, the TTL sources', async (t) => {
  const services = fixture();
  const answers = new Map([[questionKey(SRV), [srvReply('ns1:53', ['a', 'b']), srvReply('ns2:53', ['a']), srvReply('ns3:53', [], 'REFUSED')]]]);
  const why = whyReport('_http._tcp.web.coal.joyent.us', services, new Map(), ['ns1:53', 'ns2:53', 'ns3:53'], answers, NOW);
  t.equal(why.kind, 'service');
  t.equal(why.answers[0]!.disagree, true);
  const b = why.instances.find((i) => i.instance === 'b')!;
  t.same(b.nameservers.map((n) => n.served), ['yes', 'no', 'unknown'], 'REFUSED on a name a nameserver should hold says nothing');
  t.match(why.verdict, /^web\.coal\.joyent\.us: 0 of 7 instances served; a registered but not served by ns3:53 \(REFUSED\); b registered but not served by ns2:53, ns3:53 \(REFUSED\); /);
  t.match(why.verdict, /; gone registered but not served by ns1:53, ns2:53, ns3:53 \(REFUSED\); nameservers disagree$/);
  t.match(why.ttls, [
    { answer: 'SRV _http._tcp.web.coal.joyent.us', ttl: 60, from: 'service.service.ttl' },
    { answer: 'A a.web.coal.joyent.us', ttl: 30, from: 'ttl' },
  ]);
  t.ok(why.ttls.some((l) => l.answer === 'A web.coal.joyent.us → b' && l.ttl === 5), 'A on the service name: min(service TTL, child TTL)');
});

t.test('why: a name outside the registry, and no nameservers asked', async (t) => {
  const services = fixture();
  const none = whyReport('x.coal.joyent.us', services, new Map(), [], new Map(), NOW);
  t.equal(none.kind, 'unknown');
  t.equal(none.verdict, 'x.coal.joyent.us: not in the registry (no service or instance at /us/joyent/coal/x); binder-compatible servers answer REFUSED');
  const regOnly = whyReport('a.web.coal.joyent.us', services, new Map(), [], new Map(), NOW);
  t.equal(regOnly.verdict, 'a.web.coal.joyent.us: 1 of 1 instance registered (no nameserver asked)');
});

t.test('the owner session of a host node: its id when the registry gives one, in status, --json and why', async (t) => {
  const dns = tree({ '/us/joyent/coal/web': SERVICE_JSON, '/us/joyent/coal/web/a': host('10.0.0.1'), '/us/joyent/coal/web/b': host('10.0.0.2'), '/us/joyent/coal/web/p': host('10.0.0.3') },
    ['/us/joyent/coal/web/a', '/us/joyent/coal/web/b']);
  dns.get('/us/joyent/coal/web/a')!.session = '0x1000a3c5e2b0003';
  const services = collectServices(view(dns));
  const report = statusReport('coal.joyent.us', services, [], new Map(), NOW);
  t.same(report.services[0]!.instances.map((i) => [i.instance, i.session]), [['a', '0x1000a3c5e2b0003'], ['b', 'live'], ['p', 'persistent']]);
  t.match(renderStatus(report, { color: false }), /\nweb\.coal\.joyent\.us +a +10\.0\.0\.1 +8080 +registered +- +0x1000a3c5e2b0003\n/);
  const why = whyReport('web.coal.joyent.us', services, new Map(), [], new Map(), NOW);
  t.match(JSON.stringify(why), '"kind":"ephemeral, session 0x1000a3c5e2b0003"');
});

t.test("the SRV TTL's source in binder's flat service shape is service.ttl", async (t) => {
  const record = { kind: 'service' as const, srvce: '_http', proto: '_tcp', port: 80, srvTtl: 60, serviceTtl: undefined, ttl: undefined };
  t.same(serviceTtlSource(record, true), { ttl: 60, from: 'service.ttl' });
  t.same(serviceTtlSource(record), { ttl: 60, from: 'service.service.ttl' });
  t.equal(isFlatService('{"type":"service","service":{"srvce":"_http","proto":"_tcp","port":80},"ttl":60}'), true);
  t.equal(isFlatService(SERVICE_JSON), false);
});
