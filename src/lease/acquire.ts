import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { HeraldError, InvalidArgumentError } from '../errors.ts';
import { RegistryClosedError, type Store, type Credentials, openStore } from '../registry/index.ts';
import { Lease, startLease } from './lease.ts';
import { contenderPrefix, leasePath, queueOrder, validateLeaseName } from './path.ts';
import { safetyMargin } from './validity.ts';
import { abortable } from '../abortable.ts';

export interface AcquireLeaseOptions {
  /** A connect string (ZooKeeper, or `memory://HOST:PORT`): the lease opens a session of its own and closes it when the lease ends. */
  zk?: string;
  /** An open store to share (a sidecar's session); it stays open after the lease. Give `zk` or `store`. */
  store?: Store;
  /** Who holds it, as `herald lease status` shows. @default os.hostname() */
  instance?: string;
  /** Stops waiting: the queue entry is removed and the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** The lease gives itself up this long before the session could expire. @default a third of the session timeout */
  safetyMarginMs?: number;
  /** With `zk`: the session timeout asked of the server. @default 30000 */
  sessionTimeoutMs?: number;
  /** With `zk`: fail when no session is up after this. @default 10000 */
  connectTimeoutMs?: number;
  /** With `zk`: the digest identity of the session (`--zk-auth`). */
  auth?: Credentials;
}

/**
 * Waits for the lease `name` and resolves once it is held, with a fencing
 * token greater than every earlier holder's. Contenders queue as
 * ephemeral-sequential nodes under `/herald/lease/<name>`; the lowest holds,
 * and each waiter watches only the node just before its own (no herd).
 *
 * A session expiry while waiting loses the place in the queue: the waiter
 * joins again at the back once a new session is up.
 */
export async function acquireLease(name: string, options: AcquireLeaseOptions): Promise<Lease> {
  validateLeaseName(name);
  if ((options.zk === undefined) === (options.store === undefined)) throw new InvalidArgumentError('acquireLease needs exactly one of `zk` and `store`');
  const instance = options.instance ?? hostname();
  if (typeof instance !== 'string' || instance === '') throw new InvalidArgumentError('`instance` must be a non-empty string');
  const { signal } = options;
  signal?.throwIfAborted();
  const ownsStore = options.store === undefined;
  const store = options.store ?? openStore(options.zk!, {
    ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
  });
  let mine: string | undefined;
  try {
    await abortable(store.ready(options.connectTimeoutMs ?? 10_000), signal);
    const marginMs = safetyMargin(store.sessionTimeoutMs, options.safetyMarginMs);
    const data = JSON.stringify({ instance, pid: process.pid, queuedAt: new Date().toISOString() });
    for (;;) {
      mine = await enqueue(store, name, data, signal);
      const held = await waitTurn(store, name, mine, signal);
      if (held !== undefined) {
        const lease = new Lease({ name, instance, path: mine, token: held.token, store, ownsStore, confirmedAt: held.confirmedAt, marginMs });
        startLease(lease);
        return lease;
      }
      // Our node vanished (the session expired): join again.
      mine = undefined;
    }
  } catch (err) {
    if (ownsStore) await store.close().catch(() => undefined);
    else if (mine !== undefined && store.state === 'connected') await store.delete(mine).catch(() => undefined);
    throw err;
  }
}

/** Creates our queue node. A reply lost to a disconnection may still have created it: find it by our id. */
async function enqueue(store: Store, name: string, data: string, signal: AbortSignal | undefined): Promise<string> {
  const id = randomBytes(6).toString('hex');
  const dir = leasePath(name);
  for (let attempt = 1; ; attempt++) {
    await connected(store, signal);
    try {
      return await store.createSequential(contenderPrefix(name, id), data);
    } catch (err) {
      if (!(err instanceof HeraldError && err.code === 'HERALD_REGISTRY_UNAVAILABLE') || (store.state === 'connected' && attempt >= 3)) throw err;
    }
    await connected(store, signal);
    const found = queueOrder((await store.children(dir).catch(() => undefined)) ?? []).find((c) => c.id === id);
    if (found) return `${dir}/${found.child}`;
  }
}

/**
 * Waits until our node is the lowest. Resolves with the token and the send
 * time of the read that proved it, or undefined when our node is gone.
 */
async function waitTurn(store: Store, name: string, mine: string, signal: AbortSignal | undefined): Promise<{ token: number; confirmedAt: number } | undefined> {
  const dir = leasePath(name);
  const child = mine.slice(dir.length + 1);
  for (;;) {
    signal?.throwIfAborted();
    await connected(store, signal);
    const sentAt = performance.now();
    let children: string[] | undefined;
    try {
      children = await store.children(dir);
    } catch (err) {
      if (store.state === 'connected') throw err;
      continue;
    }
    const queue = queueOrder(children ?? []);
    const at = queue.findIndex((c) => c.child === child);
    if (at < 0) return undefined;
    if (at === 0) return { token: queue[0]!.sequence, confirmedAt: sentAt };
    try {
      await store.watchGone(`${dir}/${queue[at - 1]!.child}`, signal);
    } catch (err) {
      signal?.throwIfAborted();
      if (store.state === 'closed') throw err;
      // The session expired or the call failed: look again once connected.
    }
  }
}

/** Resolves when the store is connected; rejects when it is closed or on abort. */
async function connected(store: Store, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    if (store.state === 'connected') return;
    if (store.state === 'closed') throw new RegistryClosedError();
    await new Promise<void>((resolve, reject) => {
      const onState = (): void => { signal?.removeEventListener('abort', onAbort); resolve(); };
      const onAbort = (): void => { store.off('state', onState); reject(signal?.reason); };
      store.once('state', onState);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
