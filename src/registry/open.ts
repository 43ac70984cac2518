import { formatHostPort } from '../host-port.ts';
import type { Credentials } from './credentials.ts';
import { MemoryRegistryServer } from './store-memory-server.ts';
import { MemoryRegistry, type MemoryStore } from './store-memory.ts';
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

export interface MemoryStoreOptions {
  /** Let other processes in (`openStore('memory://HOST:PORT')`): a `MemoryRegistryServer` listening here (port 0 picks one). */
  listen?: { address: string; port: number };
  /** The `user:password` those processes must send first; required to listen on any address but loopback. */
  token?: Credentials;
}

/** What `openMemoryStore` opened: a session on a new in-process registry, and where other processes reach it. */
export interface OpenedMemoryStore {
  store: MemoryStore;
  /** `memory://HOST:PORT` with the bound port, when `listen` was given. */
  url: string | undefined;
  /** Stops listening (the remote sessions end, their ephemerals with them), then closes `store`. */
  close(): Promise<void>;
}

/**
 * The embedded form of `openStore`, for `herald serve --registry memory
 * [--registry-listen HOST:PORT]`: a new `MemoryRegistry` in this process, a
 * session on it, and with `listen` the server that lets sidecars elsewhere
 * share it. It does I/O (listening) and returns more than a `Store`, hence a
 * function of its own beside `openStore`. Nothing is left open on failure.
 */
export async function openMemoryStore(options: MemoryStoreOptions = {}): Promise<OpenedMemoryStore> {
  const registry = new MemoryRegistry();
  const store = registry.connect();
  const server = options.listen ? new MemoryRegistryServer(registry, options.token ? { token: options.token } : {}) : undefined;
  let url: string | undefined;
  if (server && options.listen) {
    try {
      url = `memory://${formatHostPort(options.listen.address, await server.listen(options.listen.address, options.listen.port))}`;
    } catch (err) {
      await server.close();
      await store.close();
      throw err;
    }
  }
  return {
    store, url,
    close: async () => {
      await server?.close();
      await store.close();
    },
  };
}
