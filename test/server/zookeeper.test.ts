import t from 'tap';
import { createSocket } from 'node:dgram';
import { decodeMessage, encodeQuery, RecordType } from '../../src/dns/index.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import { DnsServer } from '../../src/server/server.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig } from './helpers.ts';

const D = 'coal.joyent.us';
const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());
const writer = ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs: 20_000 });
const reader = ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs: 20_000 });
await writer.ready(10_000);
await writer.putPersistent('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }));
await writer.putEphemeral('/us/joyent/coal/moray/a', hostRecordJson({ type: 'moray_host', address: '10.0.0.1', ports: [2021], ttl: 30 }));
const mirror = reader.mirror('/us/joyent/coal');
const states: string[] = [];
reader.on('state', (st) => states.push(`reader ${st}`));
writer.on('state', (st) => states.push(`writer ${st}`));
// Two threads: the worker thread must follow changes as fast as the main one.
const server = new DnsServer({ mirror, domain: D, listen: ['127.0.0.1:0'], threads: 2 });
await server.start();
await mirror.synced(10_000);
const port = server.addresses[0]!.port;
t.teardown(async () => { await server.stop(); await writer.close(); await reader.close(); });

/** Sends A queries from several source ports (so both threads answer) until `done(addresses)`; resolves with the elapsed ms. */
async function until(done: (addresses: string[]) => boolean, timeoutMs = 5000): Promise<number> {
  const start = performance.now();
  const sockets = [createSocket('udp4'), createSocket('udp4')];
  try {
    let id = 0;
    for (;;) {
      for (const socket of sockets) {
        const reply = await new Promise<Buffer | undefined>((resolve) => {
          const timer = setTimeout(() => { socket.off('message', resolve); resolve(undefined); }, 200);
          socket.once('message', (m) => { clearTimeout(timer); resolve(m); });
          socket.send(encodeQuery({ id: ++id & 0xffff, name: `moray.${D}`, type: RecordType.A }), port, '127.0.0.1');
        });
        if (reply) {
          const addresses = decodeMessage(reply).answers.map((r) => (r as { address: string }).address).sort();
          if (done(addresses)) return performance.now() - start;
        }
      }
      if (performance.now() - start > timeoutMs) throw new Error('change not visible in time');
    }
  } finally {
    for (const s of sockets) s.close();
  }
}

t.test('propagation: 100 creates/deletes of an ephemeral node each show in DNS promptly', async (t) => {
  const times: number[] = [];
  const acks: number[] = [];
  for (let i = 0; i < 50; i++) {
    // From the write being issued to the answer changing.
    let t0 = performance.now();
    await writer.putEphemeral('/us/joyent/coal/moray/b', hostRecordJson({ type: 'moray_host', address: '10.0.0.2', ports: [2021], ttl: 30 }));
    acks.push(performance.now() - t0);
    await until((a) => a.includes('10.0.0.2'));
    times.push(performance.now() - t0);
    t0 = performance.now();
    await writer.delete('/us/joyent/coal/moray/b');
    acks.push(performance.now() - t0);
    await until((a) => !a.includes('10.0.0.2'));
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p50 = times[49]!;
  const p99 = times[98]!;
  t.comment(`propagation, write issued → answer changed: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${times[99]!.toFixed(1)} ms`);
  acks.sort((a, b) => a - b);
  t.comment(`of which ZooKeeper acknowledging the write: p50 ${acks[49]!.toFixed(1)} ms, p99 ${acks[98]!.toFixed(1)} ms`);
  // The figure (p99 <= 50 ms) is measured in bench/server-propagation.ts; here only a bound with slack for a shared machine.
  t.ok(p99 <= 250, `p99 ${p99.toFixed(1)} ms <= 250 ms`);
});

t.test('ZooKeeper killed: last state still served, staleness exported; back: watches re-armed', async (t) => {
  t.same((await dig(port, ['+short', 'A', `moray.${D}`])).raw.trim().split('\n').filter((l) => !l.startsWith(';')), ['10.0.0.1']);
  await zk.kill();
  await waitFor('reader disconnected', () => reader.state !== 'connected', 10_000, 10);
  const during = await dig(port, ['SRV', `_moray._tcp.moray.${D}`]);
  t.equal(during.status, 'NOERROR');
  t.equal(during.answer.length, 1, 'the last state is served while ZooKeeper is away');
  await waitFor('staleness reported', () => server.staleSeconds > 0, 5000, 10);
  await zk.restart();
  await waitFor('sessions back', () => reader.state === 'connected' && writer.state === 'connected', 30_000, 20)
    .catch((err: Error) => { throw new Error(`${err.message}; now reader ${reader.state}, writer ${writer.state}; history ${states.join(', ')}`); });
  await writer.putEphemeral('/us/joyent/coal/moray/c', hostRecordJson({ type: 'moray_host', address: '10.0.0.3', ports: [2021], ttl: 30 }));
  await until((a) => a.includes('10.0.0.3'), 10_000);
  await waitFor('current again', () => server.staleSeconds === 0, 5000, 10);
  await writer.delete('/us/joyent/coal/moray/c');
  await until((a) => !a.includes('10.0.0.3'));
  t.equal((await dig(port, ['-x', '10.0.0.3'])).status, 'REFUSED', 'PTR gone with the host');
});
