import t from 'tap';
import { createSocket } from 'node:dgram';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/index.ts';
import { lookup } from '../../src/resolver/index.ts';
import { parseConfig } from '../../src/sidecar/config.ts';
import { askPresence, drainNameservers, presencePlan, type LookupAll } from '../../src/sidecar/presence.ts';
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
  await dns.writer.putEphemeral('/us/joyent/coal/db/i1', host('10.0.0.9'));
  t.match(await ask(hostOnly, [ns]), [{ state: 'present' }]);
  await dns.writer.delete('/us/joyent/coal/db/i1');
  // binder answers REFUSED for a name it no longer holds: that proves nothing.
  t.match(await ask(hostOnly, [ns]), [{ state: 'unknown', detail: 'REFUSED' }]);
});

t.test('nameservers from a bootstrap domain: the binders its _dns._udp SRV lists, asked of the seed', async (t) => {
  await dns.writer.putPersistent('/us/joyent/coal/binder', serviceRecordJson({ service: { srvce: '_dns', proto: '_udp', port: dns.port } }));
  await dns.writer.putEphemeral('/us/joyent/coal/binder/b1', hostRecordJson({ type: 'rr_host', address: '127.0.0.1', ports: [dns.port] }));
  await dns.writer.putEphemeral('/us/joyent/coal/binder/b2', hostRecordJson({ type: 'rr_host', address: '127.0.0.2', ports: [dns.port] }));
  const list = await drainNameservers({ bootstrap: 'binder.coal.joyent.us', nameservers: [ns], lookupTimeout: 500 });
  t.same(list.sort(), [`127.0.0.1:${dns.port}`, `127.0.0.2:${dns.port}`]);
  t.same(await drainNameservers({ nameservers: [ns], lookupTimeout: 500 }), [ns], 'without bootstrap: the list itself');
});
