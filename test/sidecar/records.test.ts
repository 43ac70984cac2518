import t from 'tap';
import { parseConfig } from '../../src/sidecar/index.ts';
import { hostRecord, serviceRecord, recordText, instanceAddress, longestTtl } from '../../src/sidecar/records.ts';

function reg(registration: object) {
  return parseConfig({ registration }).config.registration;
}

// The literal znodes the real registrar wrote (shared/BINDER.md §1).
t.test('load_balancer with a service: the exact znode JSON registrar writes', async (t) => {
  const r = reg({ domain: 'authcache.coal.joyent.us', type: 'load_balancer', ttl: 30, ports: [6379], service: { type: 'service', service: { srvce: '_redis', proto: '_tcp', port: 6379, ttl: 60 } } });
  t.equal(recordText(hostRecord(r, '10.99.99.40')), '{"type":"load_balancer","address":"10.99.99.40","ttl":30,"load_balancer":{"address":"10.99.99.40","ports":[6379]}}');
  t.equal(recordText(serviceRecord(r)!), '{"type":"service","service":{"type":"service","service":{"srvce":"_redis","proto":"_tcp","port":6379,"ttl":60}}}');
});

t.test("moray's template: ttl on the middle object, service.service.ttl still defaulted to 60", async (t) => {
  const r = reg({ domain: 'moray.coal.joyent.us', type: 'moray_host', ttl: 30, ports: [2021, 2022], service: { type: 'service', service: { srvce: '_moray', proto: '_tcp', port: 2020 }, ttl: 60 } });
  t.equal(recordText(hostRecord(r, '10.99.99.17')), '{"type":"moray_host","address":"10.99.99.17","ttl":30,"moray_host":{"address":"10.99.99.17","ports":[2021,2022]}}');
  t.equal(recordText(serviceRecord(r)!), '{"type":"service","service":{"type":"service","service":{"srvce":"_moray","proto":"_tcp","port":2020,"ttl":60},"ttl":60}}');
  t.equal(longestTtl(r), 60);
});

t.test('rr_host (binder itself); no ports → the service port; no ttl → left out', async (t) => {
  const r = reg({ domain: 'binder.coal.joyent.us', type: 'rr_host', service: { type: 'service', service: { srvce: '_dns', proto: '_udp', port: 53 } } });
  t.equal(recordText(hostRecord(r, '10.0.0.5')), '{"type":"rr_host","address":"10.0.0.5","rr_host":{"address":"10.0.0.5","ports":[53]}}');
  t.equal(longestTtl(r), 60, 'the SRV ttl registrar defaults to 60 is the longest');
  t.equal(serviceRecord(reg({ domain: 'x.y', type: 'host', ports: [1] })), undefined, 'no service, no service node');
  t.equal(longestTtl(reg({ domain: 'x.y', type: 'host', ports: [1], ttl: 5 })), 5);
  t.equal(longestTtl(reg({ domain: 'x.y', type: 'host', ports: [1] })), 30, "binder's default host ttl");
  t.equal(longestTtl(reg({ domain: 'x.y', type: 'host', ports: [1], ttl: 90, service: { type: 'service', service: { srvce: '_a', proto: '_tcp', port: 1, ttl: 10 } } })), 90);
});

t.test('address: adminIp, else the first non-internal IPv4 NIC', async (t) => {
  t.equal(instanceAddress({ adminIp: '10.1.1.1' }), '10.1.1.1');
  const nics = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    net0: [{ address: 'fe80::1', family: 'IPv6', internal: false }, { address: '10.99.99.40', family: 'IPv4', internal: false }],
    net1: [{ address: '172.16.0.2', family: 'IPv4', internal: false }],
  } as any;
  t.equal(instanceAddress({}, nics), '10.99.99.40');
  t.throws(() => instanceAddress({}, { lo: nics.lo }), { code: 'HERALD_SIDECAR_CONFIG', message: /^adminIp: expected an address/ });
});

t.test("registrar's sample (type host, no ports, no service): no ports key at all, as registrar writes", async (t) => {
  const r = reg({ domain: 'test.coal.joyent.us', type: 'host', aliases: ['alias-1.test.coal.joyent.us'] });
  t.equal(recordText(hostRecord(r, '10.99.99.50')), '{"type":"host","address":"10.99.99.50","host":{"address":"10.99.99.50"}}');
  t.equal(serviceRecord(r), undefined);
  t.equal(longestTtl(r), 30);
});
