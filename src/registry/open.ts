import { RemoteStore } from './store-remote.ts';
import type { Store } from './store.ts';
import { ZooKeeperStore, type ZooKeeperStoreOptions } from './store-zookeeper.ts';

/**
 * Opens a store from a connect string, the form every `--zk` flag takes:
 * `host:port[,host:port...][/chroot]` → ZooKeeper; `memory://HOST:PORT` →
 * the memory registry of a `herald serve --registry memory
 * --registry-listen HOST:PORT` process. `auth` is the ZooKeeper digest
 * identity, or the memory registry's token (`--registry-token`). Does not wait for the session:
 * `await store.ready()`.
 */
export function openStore(connect: string, options: Omit<ZooKeeperStoreOptions, 'connect'> = {}): Store {
  if (connect.startsWith('memory://')) {
    return RemoteStore.open(connect, {
      ...(options.operationTimeoutMs === undefined ? {} : { operationTimeoutMs: options.operationTimeoutMs }),
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    });
  }
  return ZooKeeperStore.open({ ...options, connect });
}
