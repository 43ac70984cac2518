import t from 'tap';
import zookeeper from 'node-zookeeper-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, srvTargets } from './harness.ts';

// The multi-machine deployment in miniature: a three-server ZooKeeper
// ensemble on loopback, two herald serve, three instances with their
// sidecars, a client under steady load. The ensemble's leader is killed.

/** Each host node's owning session (ephemeralOwner), read straight from ZooKeeper. */
async function owners(connect: string, path: string): Promise<Map<string, string>> {
  const client = zookeeper.createClient(connect, { sessionTimeout: 4000, retries: 2 });
  client.connect();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ZooKeeper connection')), 10_000);
      client.once('connected', () => { clearTimeout(timer); resolve(); });
    });
    const children = await new Promise<string[]>((resolve, reject) => client.getChildren(path, undefined, (err, list) => (err ? reject(err) : resolve(list))));
    const out = new Map<string, string>();
    for (const child of children.sort()) {
      const stat = await new Promise<{ ephemeralOwner: Buffer }>((resolve, reject) => client.exists(`${path}/${child}`, undefined, (err, s) => (err || !s ? reject(err ?? new Error("gone")) : resolve(s))));
      out.set(child, stat.ephemeralOwner.toString('hex'));
    }
    return out;
  } finally {
    client.close();
  }
}

t.test('three-server ensemble: the leader killed under load — no failed request, no instance leaves DNS, no duplicates', async (t) => {
  const c = await Cluster.start({ zkServers: 3, rps: 300, ttl: 2, sessionTimeoutMs: 4000 });
  t.teardown(() => c.stop());
  const client = c.client!;
  const want = c.instances.map((i) => i.target).sort();
  const before = await owners(c.zk.connectString, '/test/e2e/web');
  t.same([...before.keys()], ['web-1', 'web-2', 'web-3'], 'one host node per instance');

  // Watch both nameservers every 50 ms while the leader dies and the ensemble recovers.
  const bad: string[] = [];
  let polls = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const ns of c.nameservers) {
        const targets = await srvTargets(ns, c.srvName);
        polls++;
        if (JSON.stringify(targets) !== JSON.stringify(want)) bad.push(`${ns}: ${JSON.stringify(targets)}`);
      }
      await sleep(50);
    }
  })();

  const leader = await c.zk.leader();
  await c.zk.kill(leader);
  t.comment(`killed ZooKeeper server ${leader} (the leader)`);
  const newLeader = await (async () => {
    for (let k = 0; k < 200; k++) {
      const l = await c.zk.leader().catch(() => undefined);
      if (l !== undefined) return l;
      await sleep(50);
    }
    return undefined;
  })();
  t.ok(newLeader !== undefined && newLeader !== leader, `a new leader: server ${newLeader}`);
  // Past a session timeout: any session that did not move would have expired by now.
  await sleep(c.sessionTimeoutMs + 2000);
  await client.answered(300);
  watching = false;
  await watcher;

  t.same(bad.slice(0, 5), [], `every SRV answer from both nameservers held all three instances, once each (${polls} answers checked)`);
  t.equal(client.failures.length, 0, `no request failed ${JSON.stringify(client.failures.slice(0, 3))}`);
  t.same(client.ports, c.instances.map((i) => i.port).sort(), 'every instance stayed in the client\'s rotation');
  const after = await owners(c.zk.connectString, '/test/e2e/web');
  t.same([...after.keys()], ['web-1', 'web-2', 'web-3'], 'no duplicate registrations');
  t.same(after, before, 'the same sessions own the nodes: they moved to the surviving servers instead of expiring');
  for (const i of c.instances) t.notMatch(i.sidecar!.stderr, /session expired|"state":"expired"/, `${i.name}: its session never expired`);

  const done = await client.stop();
  t.equal(done.failed, 0, `${done.ok} answered, ${done.failed} failed`);
});
