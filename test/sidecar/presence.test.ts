import t from 'tap';
import { createSocket } from 'node:dgram';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/index.ts';
import { lookup } from '../../src/resolver/index.ts';
import { parseConfig } from '../../src/sidecar/config.ts';
import { askPresence, createPresenceProbe, drainNameservers, judgePresence, presencePlan, type LookupAll } from '../../src/sidecar/presence.ts';
import { findWitnesses, witnessFor } from '../../src/sidecar/witnesses.ts';
import { memoryServer } from '../server/helpers.ts';

// Against Herald's real DNS server (binder's answers), over real UDP.
const dns = await memoryServer('coal.joyent.us');
t.teardown(() => dns.close());
const ns = `127.0.0.1:${dns.port}`;
// A nameserver that never answers: a bound UDP socket that reads and drops.
const silent = createSocket('udp4');
await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
t.teardown(() => silent.close());
const silentNs = `127.0.0.1:${silent.address().port}`;

const reg = (registration: object) => parseConfig({ registration, instance: 'i1' }).config.registration;
const withService = reg({ domain: 'web.coal.joyent.us', type: 'load_balancer', ports: [80], service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80 } } });
const hostOnly = reg({ domain: 'db.coal.joyent.us', type: 'load_balancer', ports: [5432] });
const outside = reg({ domain: 'web.elsewhere.example', type: 'load_balancer', ports: [80], service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80 } } });
const host = (address: string) => hostRecordJson({ type: 'load_balancer', address, ports: [80], ttl: 30 });
const ask = (r: typeof withService, list: string[]) => askPresence(presencePlan(r, 'i1'), list, lookup as LookupAll, 300);

t.test('a service: present while its SRV lists the instance, absent once NOERROR without it', async (t) => {
  t.same(presencePlan(withService, 'i1'), { kind: 'srv', name: '_http._tcp.web.coal.joyent.us', target: 'i1.web.coal.joyent.us' });
  await dns.writer.putPersistent('/us/joyent/coal/web', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
  await dns.writer.putEphemeral('/us/joyent/coal/web/i1', host('10.0.0.1'));
  await dns.writer.putEphemeral('/us/joyent/coal/web/i2', host('10.0.0.2'));
  t.match(await ask(withService, [ns]), [{ nameserver: ns, state: 'present' }]);
  await dns.writer.delete('/us/joyent/coal/web/i1');
  t.match(await ask(withService, [ns]), [{ nameserver: ns, state: 'absent' }], 'another instance remains: still NOERROR');
  await dns.writer.delete('/us/joyent/coal/web/i2');
  t.match(await ask(withService, [ns]), [{ state: 'absent' }], 'no instance left: NOERROR, no answers');
});

t.test('REFUSED and timeouts are "not known yet", never "absent"', async (t) => {
  t.match(await ask(outside, [ns]), [{ state: 'unknown', detail: 'REFUSED' }], 'a name the server does not hold');
  const both = await ask(withService, [ns, silentNs]);
  t.match(both, [{ nameserver: ns, state: 'absent' }, { nameserver: silentNs, state: 'unknown', detail: 'timeout' }]);
});

t.test('a registration without a service asks for its own name', async (t) => {
  t.same(presencePlan(hostOnly, 'i1'), { kind: 'a', name: 'i1.db.coal.joyent.us' });
  const bare = reg({ domain: 'web.coal.joyent.us', type: 'load_balancer', service: { type: 'service', service: { srvce: 'http', proto: 'tcp', port: 80 } } });
  t.same(presencePlan(bare, 'i1'), { kind: 'a', name: 'i1.web.coal.joyent.us' }, 'srvce without "_": no SRV name to ask');
  await dns.writer.putEphemeral('/us/joyent/coal/db/i1', host('10.0.0.9'));
  t.match(await ask(hostOnly, [ns]), [{ state: 'present' }]);
  await dns.writer.delete('/us/joyent/coal/db/i1');
  // binder answers REFUSED for a name it no longer holds: alone, that proves nothing.
  t.match(await ask(hostOnly, [ns]), [{ state: 'unknown', detail: 'REFUSED' }]);
});

t.test('host-only: REFUSED is absence when the same nameserver answers a witness with data in the same round', async (t) => {
  const own = ['/us/joyent/coal/db/i1', '/us/joyent/coal/db-alias'];
  const probe = (list: string[]) => createPresenceProbe(parseConfig({
    registration: { domain: 'db.coal.joyent.us', type: 'host', aliases: ['db-alias.coal.joyent.us'] }, instance: 'i1',
    drain: { nameservers: list, lookupTimeout: 300 },
  }).config, dns.writer);
  await dns.writer.putEphemeral('/us/joyent/coal/db/i1', host('10.0.0.9'));
  await dns.writer.putEphemeral('/us/joyent/coal/db-alias', host('10.0.0.9'));
  t.match(await probe([ns])(), [{ state: 'present' }]);
  await dns.writer.delete('/us/joyent/coal/db/i1');
  await dns.writer.delete('/us/joyent/coal/db-alias');
  // Nothing near it holds data (web has no members left): no witness, no proof.
  t.same(await findWitnesses(dns.writer, 'db.coal.joyent.us', own), [{ name: '_http._tcp.web.coal.joyent.us', type: 'SRV' }]);
  t.match(await probe([ns])(), [{ state: 'unknown', detail: 'REFUSED' }], 'a service with no members answers no SRV records: no witness');
  // A sibling: the same children list the nameserver serves from.
  await dns.writer.putEphemeral('/us/joyent/coal/db/i2', host('10.0.0.10'));
  t.same((await findWitnesses(dns.writer, 'db.coal.joyent.us', own))[0], { name: 'i2.db.coal.joyent.us', type: 'A' });
  t.match(await probe([ns, silentNs])(), [
    { nameserver: ns, state: 'absent', detail: 'REFUSED while it serves A i2.db.coal.joyent.us' },
    { nameserver: silentNs, state: 'unknown', detail: 'timeout' },
  ]);
  // A nameserver that does not serve this tree refuses the witness too: still unknown.
  const { port: otherPort, close } = await memoryServer('elsewhere.example');
  t.teardown(close);
  t.match(await probe([`127.0.0.1:${otherPort}`])(), [{ state: 'unknown', detail: 'REFUSED' }]);
  await dns.writer.delete('/us/joyent/coal/db/i2');
});

t.test('witnesses: nearest first, own nodes skipped, only records a nameserver answers with data', async (t) => {
  t.same(witnessFor('/us/joyent/coal/x/a', host('10.0.0.1')), { name: 'a.x.coal.joyent.us', type: 'A' });
  t.equal(witnessFor('/us/joyent/coal/x/a', hostRecordJson({ type: 'rr_host', address: '10.0.0.1', ports: [53] })), undefined, 'rr_host is not answered directly');
  t.equal(witnessFor('/us/joyent/coal/x/a', hostRecordJson({ type: 'load_balancer', address: null, ports: [80] })), undefined, 'no address');
  t.equal(witnessFor('/us/joyent/coal/x/a', null), undefined);
  t.equal(witnessFor('/us/joyent/coal/x/a', '{not json'), undefined);
  t.equal(witnessFor('/us/joyent/coal/x/a b', host('10.0.0.1')), undefined, 'a node name no query can carry');
  t.same(witnessFor('/us/joyent/coal/x', serviceRecordJson({ service: { srvce: '_x', proto: '_tcp', port: 1 } })), { name: '_x._tcp.x.coal.joyent.us', type: 'SRV' });
});

t.test('nameservers from a bootstrap domain: the binders its _dns._udp SRV lists, asked of the seed', async (t) => {
  await dns.writer.putPersistent('/us/joyent/coal/binder', serviceRecordJson({ service: { srvce: '_dns', proto: '_udp', port: dns.port } }));
  await dns.writer.putEphemeral('/us/joyent/coal/binder/b1', hostRecordJson({ type: 'rr_host', address: '127.0.0.1', ports: [dns.port] }));
  await dns.writer.putEphemeral('/us/joyent/coal/binder/b2', hostRecordJson({ type: 'rr_host', address: '127.0.0.2', ports: [dns.port] }));
  const list = await drainNameservers({ bootstrap: 'binder.coal.joyent.us', nameservers: [ns], lookupTimeout: 500 });
  t.same(list.sort(), [`127.0.0.1:${dns.port}`, `127.0.0.2:${dns.port}`]);
  t.same(await drainNameservers({ nameservers: [ns], lookupTimeout: 500 }), [ns], 'without bootstrap: the list itself');
});

t.test('an SRV answer with a target name Herald cannot read: that record is no match, the rest is judged', async (t) => {
  const plan = presencePlan(withService, 'i1');
  const srv = (target: string) => ({ name: '_http._tcp.web.coal.joyent.us', type: 33, class: 1, ttl: 60, priority: 0, weight: 10, port: 80, target });
  const reply = (...targets: string[]) => ({ rcode: 0, status: 'NOERROR', answers: targets.map(srv) as never[] });
  t.same(judgePresence(plan, reply('odd\\032name.web.coal.joyent.us', 'i2.web.coal.joyent.us')), { state: 'absent', detail: 'absent' });
  t.same(judgePresence(plan, reply('odd\\032name.web.coal.joyent.us', 'I1.web.coal.joyent.us.')), { state: 'present', detail: 'still serves it' });
});
