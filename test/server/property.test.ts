import t from 'tap';
import fc from 'fast-check';
import * as dnsPacket from 'dns-packet';
import { isIP } from 'node:net';
import { reverseName } from '../../src/dns/name.ts';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { DnsServer } from '../../src/server/server.ts';
import { dig } from './helpers.ts';

// Random registries — names of every length, case and byte, depths, addresses
// of every odd form, port lists, member counts, record shapes — and every
// query kind against each: every reply must parse with an independent
// decoder (dns-packet; dig for a sample), and nothing may throw.
const D = 'prop.test';
const ROOT = '/test/prop';

const labelChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'.split(''), ' ', '.', '%', '\u00e9', '*');
const label = fc.oneof(
  { weight: 10, arbitrary: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,15}$/) },
  { weight: 2, arbitrary: fc.string({ unit: labelChar, minLength: 1, maxLength: 70 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(63), 'y'.repeat(64), 'UPPER', 'MiXeD') },
);
const scope = fc.string({ unit: fc.constantFrom('a', 'b', ':', '0', '9', 'z'), minLength: 1, maxLength: 20 });
const address = fc.oneof(
  { weight: 6, arbitrary: fc.ipV4() },
  { weight: 3, arbitrary: fc.ipV6() },
  { weight: 1, arbitrary: fc.tuple(fc.ipV6(), scope).map(([a, s]) => `${a}%${s}`) },
  { weight: 1, arbitrary: fc.constantFrom('::1%a:b:c:d:e:f:g:h:i:j', '1:2:3:4:5:6:7:8%a:b', '::ffff:1.2.3.4', 'fe80::1%eth0', '0.0.0.0', '::', '300.1.1.1', 'localhost', '') },
  { weight: 1, arbitrary: fc.constantFrom(null, 7, {}, []) },
);
const MANY_PORTS = Array.from({ length: 70_000 }, (_, i) => i % 65536);
const ports = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, ['80'], [-1], [65536], [1.5], 'x') },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 200, maxLength: 1100 }) },
  { weight: 1, arbitrary: fc.constant(MANY_PORTS) },
);
const hostType = fc.constantFrom('load_balancer', 'moray_host', 'redis_host', 'ops_host', 'rr_host', 'host', 'db_host', 'weird');
const member = fc.record({ label, type: hostType, address, ports, ttl: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 3600 }), fc.constant(-5)) });
const service = fc.record({
  path: fc.oneof({ weight: 8, arbitrary: fc.array(label, { minLength: 1, maxLength: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 60, max: 130 }).map((n) => Array.from({ length: n }, (_, i) => `d${i}`)) }),
  shape: fc.constantFrom('nested', 'nested', 'flat', 'bad-json', 'bad-port', 'unknown-type'),
  srvce: fc.constantFrom('_http', '_moray', '_HTTP', '_x', 'nounderscore'),
  port: fc.integer({ min: 0, max: 65535 }),
  members: fc.array(member, { maxLength: 12 }),
  // A bulk of uniform members: services up to and beyond one TCP reply.
  bulk: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 20, max: 1400 }) }),
});
const registry = fc.array(service, { minLength: 1, maxLength: 6 });
type Service = typeof service extends fc.Arbitrary<infer T> ? T : never;

function serviceJson(s: Service): string {
  const srv = { srvce: s.srvce, proto: '_tcp', port: s.shape === 'bad-port' ? 'eighty' : s.port, ttl: 60 };
  switch (s.shape) {
    case 'flat': return JSON.stringify({ type: 'service', service: srv, ttl: 60 });
    case 'bad-json': return '{"type":"service",';
    case 'unknown-type': return JSON.stringify({ type: 'cname', target: 'x' });
    default: return JSON.stringify({ type: 'service', service: { type: 'service', service: srv } });
  }
}
const hostJson = (m: { type: string; address: unknown; ports: unknown; ttl: unknown }) =>
  JSON.stringify({ type: m.type, address: m.address, ttl: m.ttl, [m.type]: { address: m.address, ports: m.ports } });

/** True when a name fits a question: labels of 1..63 bytes, 255 bytes on the wire. */
const sendable = (name: string) => Buffer.byteLength(name) + 2 <= 255 && name.split('.').every((l) => Buffer.byteLength(l) <= 63);

/** Random case per letter (0x20), as resolvers send. */
const mixCase = (name: string, seed: number) => [...name].map((c, i) => (((seed >> (i % 16)) & 1) ? c.toUpperCase() : c.toLowerCase())).join('');

let registries = 0;
let records = 0;
let packets = 0;
let digs = 0;
const failures: string[] = [];

t.test('random registries: every query kind gets a reply dns-packet parses; nothing throws', async (t) => {
  await fc.assert(fc.asyncProperty(registry, fc.integer(), async (services, seed) => {
    try { await runOne(services, seed); } catch (err) { failures.push(`registry ${registries} threw: ${(err as Error).stack}`); }
    return true; // failures are collected (with their query) and asserted once, below
  }), { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 30), seed: Number(process.env['PROPERTY_SEED'] ?? 20261201) });
  t.comment(`${registries} registries, ${records} records written, ${packets} packets answered and parsed by dns-packet, ${digs} checked by dig`);
  t.same(failures.slice(0, 10), [], 'no reply that does not parse, no throw');
});

async function runOne(services: Service[], seed: number): Promise<void> {
    registries++;
    const memory = new MemoryRegistry();
    const writer = memory.connect();
    const names: string[] = [];
    const addresses: string[] = [];
    const srvNames: string[] = [];
    const put = async (path: string, data: string) => {
      try { await writer.putPersistent(path, data); records++; } catch { /* a path the store itself refuses (".", ".."): never reaches DNS */ }
    };
    for (const s of services) {
      const path = `${ROOT}/${[...s.path].reverse().join('/')}`;
      const name = `${s.path.join('.')}.${D}`;
      await put(path, serviceJson(s));
      names.push(name);
      srvNames.push(`${s.srvce}._tcp.${name}`, `_other._udp.${name}`);
      const all = [...s.members, ...Array.from({ length: s.bulk }, (_, i) => ({ label: `6f1c2e2a-0d3b-4c4e-9a51-${String(i).padStart(12, '0')}`, type: 'load_balancer', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, ports: [80], ttl: 30 }))];
      await Promise.all(all.map((m) => put(`${path}/${m.label}`, hostJson(m))));
      for (const [i, m] of all.entries()) {
        if (i < 40) names.push(`${m.label}.${name}`);
        if (typeof m.address === 'string' && isIP(m.address)) addresses.push(m.address);
      }
    }
    const reader = memory.connect();
    const mirror = reader.mirror(ROOT);
    const server = new DnsServer({ mirror, domain: D, listen: ['127.0.0.1:0'] });
    await server.start();
    await mirror.synced();
    try {
      const questions: [string, dnsPacket.RecordType][] = [];
      for (const n of names) for (const type of ['A', 'AAAA', 'SRV', 'TXT', 'ANY'] as dnsPacket.RecordType[]) questions.push([n, type]);
      for (const n of srvNames) questions.push([n, 'SRV']);
      for (const a of addresses.slice(0, 50)) { try { questions.push([reverseName(a.split('%')[0]!), 'PTR']); } catch { /* not an address reverseName takes */ } }
      questions.push([`nothere.${D}`, 'A'], ['outside.example', 'SRV']);
      let id = 0;
      for (const [qname, type] of questions) {
        for (const [tcp, udpSize] of ([[false, 0], [false, 1232], [true, 0], [true, 4096]] as const).filter((_, k) => (k + id) % 2 === 0)) {
          let query: Buffer;
          try {
            query = dnsPacket.encode({ type: 'query', id: ++id & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name: mixCase(qname, seed + id) }],
              additionals: udpSize ? [{ type: 'OPT', name: '.', udpPayloadSize: udpSize } as never] : [] });
          } catch {
            continue; // a name no client can send
          }
          let reply: Buffer | undefined;
          try {
            reply = server.handle(query, tcp);
          } catch (err) {
            failures.push(`handle threw for ${type} ${qname}: ${String(err)}`);
            continue;
          }
          packets++;
          // Only a question no valid query can carry (a label over 63 bytes, a name over 255) may go unanswered: dropped as malformed.
          if (!reply) { if (sendable(qname)) failures.push(`no reply for ${type} ${qname}`); continue; }
          const limit = tcp ? 65535 : udpSize ? Math.min(udpSize, 1470) : 512;
          if (reply.length > limit) failures.push(`${type} ${qname}: ${reply.length} bytes over ${limit}`);
          try {
            const p = dnsPacket.decode(reply);
            if (p.id !== (id & 0xffff) || p.type !== 'response') failures.push(`${type} ${qname}: wrong id or not a response`);
            const asked = dnsPacket.decode(query).questions?.[0]?.name;
            if (p.questions?.[0]?.name !== asked) failures.push(`${type} ${qname}: question changed to ${p.questions?.[0]?.name}`);
            if (tcp && (p.flags! & dnsPacket.TRUNCATED_RESPONSE)) failures.push(`${type} ${qname}: TC over TCP`);
            for (const r of [...(p.answers ?? []), ...(p.authorities ?? []), ...(p.additionals ?? [])]) {
              if (r.name.length > 253) failures.push(`${type} ${qname}: owner name of ${r.name.length} characters`);
              if (r.type === 'AAAA' && isIP(String(r.data)) !== 6) failures.push(`${type} ${qname}: bad AAAA ${String(r.data)}`);
              if ((r.type === 'SRV' || r.type === 'PTR') && JSON.stringify(r.data).length > 300) failures.push(`${type} ${qname}: long target`);
            }
          } catch (err) {
            failures.push(`${type} ${qname} (tcp ${tcp}): dns-packet cannot parse the reply: ${String(err)}`);
          }
        }
      }
      // A sample through the real sockets and the real dig.
      if (registries <= 12) {
        for (const [qname, type] of questions.filter((_, i) => i % Math.max(1, Math.floor(questions.length / 3)) === 0).slice(0, 3)) {
          if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(qname) || !sendable(qname)) continue;
          for (const transport of ['+notcp', '+tcp']) {
            const r = await dig(server.addresses[0]!.port, [transport, '+ignore', type, qname]);
            digs++;
            if (r.status === 'NONE' || /mismatch|malformed|FORMERR|unexpected/i.test(r.raw)) failures.push(`dig ${transport} ${type} ${qname}: ${r.raw.slice(0, 300)}`);
          }
        }
      }
    } finally {
      await server.stop();
      mirror.close();
      await reader.close();
      await writer.close();
    }
}
