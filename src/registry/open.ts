import type { Store } from './store.ts';
import { ZooKeeperStore, type ZooKeeperStoreOptions } from './zookeeper.ts';

/**
 * Opens a store from a connect string, the form every `--zk` flag takes:
 * `host:port[,host:port...][/chroot]` → ZooKeeper. Does not wait for the
 * session: `await store.ready()`.
 */
export function openStore(connect: string, options: Omit<ZooKeeperStoreOptions, 'connect'> = {}): Store {
  return ZooKeeperStore.open({ ...options, connect });
}
