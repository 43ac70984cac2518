import t from 'tap';
import cueball from 'cueball';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { DnsServer } from '../../src/server/server.ts';
import { waitFor } from '../fixtures/wait.ts';

// cueball queries port 53 only: the server listens on 53 of a loopback address of its own (we run as root).
const ADDRESS = `127.53.${process.pid & 0xff}.${1 + (process.pid >> 8) % 250}`;
const D = 'coal.joyent.us';

t.test("cueball's resolver (a client nobody here wrote) finds a service's backends and follows changes", async (t) => {
  t.equal(process.getuid?.(), 0, 'running as root, needed for port 53');
  const registry = new MemoryRegistry();
  const writer = registry.connect();
  const reader = registry.connect();
  await writer.putPersistent('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2020 } }));
  for (let i = 1; i <= 3; i++) {
    await writer.putEphemeral(`/us/joyent/coal/moray/m${i}`, hostRecordJson({ type: 'moray_host', address: `10.0.0.${i}`, ports: [2021 + i], ttl: 1 }));
  }
  const mirror = reader.mirror('/us/joyent/coal');
  const server = new DnsServer({ mirror, domain: D, listen: [`${ADDRESS}:53`] });
  await server.start();
  await mirror.synced();
  const resolver = new cueball.DNSResolver({
    domain: `moray.${D}`, service: '_moray._tcp', defaultPort: 2020, resolvers: [ADDRESS],
    recovery: { default: { timeout: 1000, retries: 3, delay: 100, maxDelay: 1000 } },
  });
  const backends = new Map<string, { name: string; address: string; port: number }>();
  resolver.on('added', (key: string, b: { name: string; address: string; port: number }) => backends.set(key, b));
  resolver.on('removed', (key: string) => backends.delete(key));
  t.teardown(async () => { resolver.stop(); await server.stop(); await reader.close(); await writer.close(); });
  resolver.start();
  await waitFor('cueball to find 3 backends', () => backends.size === 3, 15_000, 20);
  t.same([...backends.values()].map((b) => `${b.name} ${b.address}:${b.port}`).sort(), [
    `m1.moray.${D} 10.0.0.1:2022`, `m2.moray.${D} 10.0.0.2:2023`, `m3.moray.${D} 10.0.0.3:2024`,
  ]);
  // One instance leaves: cueball drops it when it re-resolves (TTL 1 s).
  await writer.delete('/us/joyent/coal/moray/m2');
  await waitFor('cueball to drop m2', () => backends.size === 2, 20_000, 50);
  t.notOk([...backends.values()].some((b) => b.address === '10.0.0.2'), 'm2 gone');
});
