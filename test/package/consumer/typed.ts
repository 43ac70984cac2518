// A TypeScript consumer of the shipped declarations. Each @ts-expect-error
// fails the check if the type under it were `any` (nothing to expect).
import { acquireLease, BalancedAgent, lookup, registry, type Lease, type LookupResult } from 'herald';

const agent = new BalancedAgent({ backends: ['127.0.0.1:8080'], preserveHost: false });
// @ts-expect-error backends are 'ADDRESS:PORT' strings
new BalancedAgent({ backends: [8080] });
// @ts-expect-error the agent is typed (a Dispatcher), not any
agent.noSuchMethod();

export async function use(): Promise<string> {
  const lease: Lease = await acquireLease('deploy', { zk: '127.0.0.1:2181' });
  // @ts-expect-error the lease is typed
  lease.noSuchMember();
  // @ts-expect-error zk is a connect string
  await acquireLease('deploy', { zk: 2181 });
  const found: LookupResult = await lookup('web.coal.joyent.us', 'A', { nameservers: ['127.0.0.1:53'] });
  // @ts-expect-error the result is typed
  found.noSuchField.length;
  const store = new registry.ZooKeeperStore({ connect: '127.0.0.1:2181' });
  // @ts-expect-error the store (over an untyped ZooKeeper client) is typed
  store.noSuchMethod();
  await agent.close();
  return found.name;
}
