import t from 'tap';
import { PassThrough } from 'node:stream';
import { ZooKeeperStore } from '../../src/registry/index.ts';
import { drainInstance, resumeInstance } from '../../src/drain/index.ts';
import { startDrain, enterPhase, type DrainProgress } from '../../src/drain/index.ts';
import { progressPrinter } from '../../src/cli/drain.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';

t.test('no sidecar takes the request up: "no-sidecar", and the intent stays until resumed', async (t) => {
  const zk = await ZooKeeper.start();
  t.teardown(() => zk.stop());
  const store = ZooKeeperStore.open({ connect: zk.connectString });
  t.teardown(() => store.close());
  await store.ready(10_000);
  const started = Date.now();
  const outcome = await drainInstance(store, 'web.coal.joyent.us', 'nobody', { reason: 'test', deadlineMs: 5000, ackTimeoutMs: 300 });
  t.match(outcome, { outcome: 'no-sidecar', status: undefined, intent: { reason: 'test', deadlineMs: 5000 } });
  t.ok(Date.now() - started < 3000);
  t.match(JSON.parse((await store.get('/herald/drain/us/joyent/coal/web/nobody'))!.data!), { reason: 'test', deadlineMs: 5000 });
  t.equal(await resumeInstance(store, 'web.coal.joyent.us', 'nobody'), true);
  t.equal(await resumeInstance(store, 'web.coal.joyent.us', 'nobody'), false, 'nothing to lift');
});

function capture(isTTY: boolean): PassThrough & { isTTY: boolean; text(): string } {
  const out = Object.assign(new PassThrough(), { isTTY, text: (): string => '' });
  let text = '';
  out.on('data', (d: Buffer) => { text += d.toString(); });
  out.text = () => text;
  return out;
}

t.test('progress display: an updating line on a terminal, one line per finished phase otherwise', async (t) => {
  const now = Date.now();
  let p: DrainProgress = startDrain(now, 10_000, 'x');
  const steps: DrainProgress[] = [p];
  p = { ...enterPhase(p, 'absent', now + 10), removedNodes: 2, nameservers: [{ nameserver: 'a:53', state: 'absent' }, { nameserver: 'b:53', state: 'unknown', detail: 'REFUSED' }] };
  steps.push(p);
  p = { ...p, nameservers: [{ nameserver: 'a:53', state: 'absent' }, { nameserver: 'b:53', state: 'absent' }] };
  steps.push(p);
  p = { ...enterPhase(p, 'ttl', now + 110), ttlEndsAt: now + 2110, ttlMs: 2000 };
  steps.push(p);
  p = { ...enterPhase(p, 'in-flight', now + 2110), inFlight: 3 };
  steps.push(p);
  p = enterPhase({ ...p, inFlight: 0 }, 'drained', now + 3110);
  steps.push(p);

  const tty = capture(true);
  const pt = progressPrinter(tty);
  for (const s of steps) pt.show(s);
  pt.end();
  t.match(tty.text(), /\r\x1b\[Kremoved \(2 nodes\); absent from 1\/2 nameservers \(waiting on b:53 REFUSED\)\r\x1b\[K/);
  t.match(tty.text(), /\r\x1b\[Kin flight: 3\r\x1b\[Kdrained in 3\.1 s\n$/);

  const log = capture(false);
  const pl = progressPrinter(log);
  for (const s of steps.filter((_, i) => i !== 2 && i !== 3)) pl.show(s); // statuses may be skipped
  pl.end();
  t.equal(log.text(), [
    'removed from the registry (2 nodes) in 0.0 s',
    'absent from 2/2 nameservers after 0.1 s',
    'client caches expired (longest TTL + margin 2.0 s) after 2.0 s',
    'no work in flight after 1.0 s',
    'drained in 3.1 s',
    '',
  ].join('\n'));
});
