// Figure: registration → visible in DNS. 100 changes (an ephemeral host node
// created, then deleted) written to a real ZooKeeper; each timed from the
// write being issued to `herald serve`'s answer changing, polled over UDP.
// Anchor: binder's ~10 ms (BINDER.md §3, measured elsewhere: binder cannot
// run here); target p99 <= 50 ms. Bounded: 100 changes, a few seconds.
import { spawn } from 'node:child_process';
import { RecordType } from '../src/dns/index.ts';
import { percentile, UdpAsker } from './lib/udp-query.ts';
import { hostRecordJson, serviceRecordJson } from '../src/registry/records.ts';
import { ZooKeeperStore } from '../src/registry/store-zookeeper.ts';
import { freePort } from '../test/fixtures/ports.ts';
import { waitFor } from '../test/fixtures/wait.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';

const D = 'coal.joyent.us';
const CHANGES = 100;
const BINDER_MS = 10;
const TARGET_MS = 50;

const zk = await ZooKeeper.start();
const store = ZooKeeperStore.open({ connect: zk.connectString });
const port = await freePort();
// RRL off: the poller below asks one name back to back, a flood by RRL's measure.
const herald = spawn(process.execPath, ['src/cli/main.ts', 'serve', '--zk', zk.connectString, '--domain', D, '--listen', `127.0.0.1:${port}`, '--rrl', 'off'],
  { stdio: ['ignore', 'ignore', 'ignore'] });
const asker = await UdpAsker.open(port);
async function addresses(): Promise<string[] | undefined> {
  return (await asker.ask(`moray.${D}`, RecordType.A))?.answers.map((r) => (r as { address: string }).address);
}
async function until(ok: (a: string[]) => boolean): Promise<void> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const a = await addresses();
    if (a && ok(a)) return;
    if (performance.now() > deadline) throw new Error('change not visible within 5 s');
  }
}
try {
  await store.ready(10_000);
  await store.putPersistent('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }));
  await store.putEphemeral('/us/joyent/coal/moray/a', hostRecordJson({ type: 'moray_host', address: '10.0.0.1', ports: [2021], ttl: 30 }));
  await waitFor('herald serve to answer', async () => (await addresses())?.includes('10.0.0.1'), 20_000, 50);
  const total: number[] = [];
  const acks: number[] = [];
  for (let i = 0; i < CHANGES / 2; i++) {
    let t0 = performance.now();
    await store.putEphemeral('/us/joyent/coal/moray/b', hostRecordJson({ type: 'moray_host', address: '10.0.0.2', ports: [2021], ttl: 30 }));
    acks.push(performance.now() - t0);
    await until((a) => a.includes('10.0.0.2'));
    total.push(performance.now() - t0);
    t0 = performance.now();
    await store.delete('/us/joyent/coal/moray/b');
    acks.push(performance.now() - t0);
    await until((a) => !a.includes('10.0.0.2'));
    total.push(performance.now() - t0);
  }
  total.sort((a, b) => a - b);
  acks.sort((a, b) => a - b);
  console.log(`registration -> visible in DNS (${CHANGES} changes, write issued -> herald serve answer changed)`);
  console.log(`herald serve   p50 ${percentile(total, 50).toFixed(1)} ms  p99 ${percentile(total, 99).toFixed(1)} ms  max ${total.at(-1)!.toFixed(1)} ms`);
  console.log(`  of which ZooKeeper acknowledging the write: p50 ${percentile(acks, 50).toFixed(1)} ms  p99 ${percentile(acks, 99).toFixed(1)} ms`);
  console.log(`ratio p50 herald/binder (~${BINDER_MS} ms): ${(percentile(total, 50) / BINDER_MS).toFixed(2)}x; p99 ${percentile(total, 99).toFixed(1)} ms vs target <= ${TARGET_MS} ms`);
} finally {
  asker.close();
  herald.kill('SIGTERM');
  await new Promise((r) => herald.once('exit', r));
  await store.close();
  await zk.stop();
}
