import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import zookeeper, { type Client, type Stat, type Watcher, type ZkError } from 'node-zookeeper-client';
import { InvalidArgumentError } from '../errors.ts';
import { parseConnectString, serversString, type ConnectString } from './connect-string.ts';
import { aclFor, parsePolicy, POLICY_PATH, type AclEntry, type AclPolicy, type NodeKind } from './acl-policy.ts';
import type { Credentials } from './credentials.ts';
import { NodeConflictError, NodeOwnedError, RegistryAccessError, RegistryClosedError, RegistryUnavailableError } from './errors.ts';
import { ancestors, isUnder, validatePath } from './path.ts';
import { sessionIdHex } from './session-id.ts';
import type { Mirror, NodeData, SessionState, Store, StoreEvents } from './store.ts';
import { ZooKeeperMirror, type TreeEvent, type WatchSource } from './mirror-zookeeper.ts';
import { deliverWholeReplies } from './zk-reply-framing.ts';
import { fastReplies } from './zk-fast-replies.ts';
import { addTreeWatch, CANNOT_HOLD, canWatchTrees, removeTreeWatch, tapEvents, UNIMPLEMENTED } from './zk-tree-watch.ts';
import { backoffDelay } from '../backoff.ts';

const { ACL, CreateMode, Event, Exception, Id, State } = zookeeper;
/** How long a read of the ACL policy (`/herald/acl`) is used before it is read again. */
const POLICY_TTL_MS = 10_000;
/** An open socket with no session reply for this long is dropped (see `#startWatchdog`). */
const HANDSHAKE_MS = 2000;

export interface ZooKeeperStoreOptions {
  /** `host:port,host:port[/chroot]`. */
  connect: string;
  /** Session timeout asked of the server (it clamps to its own min/max). @default 30000 */
  sessionTimeoutMs?: number;
  /** A single operation fails with `HERALD_REGISTRY_UNAVAILABLE` after this. @default 10000 */
  operationTimeoutMs?: number;
  /** First delay before a new session after an expiry; doubles up to `maxBackoffMs`. @default 100 */
  backoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
  /**
   * A digest identity (`readCredentialsFile`): sent on every (re)connect,
   * and every node this store creates gets the ACL of `aclFor` (the policy
   * of `herald acl apply`). Without it nodes are `world:anyone` with all
   * permissions, as registrar makes them.
   */
  auth?: Credentials;
  /**
   * Mirrors follow their subtree through one persistent recursive watch
   * (ZooKeeper 3.6 and later) rather than a data and a child watch per
   * node: no child list is read again after a join or a leave, and a leave
   * costs no read at all. A server that does not know the call (3.4, 3.5)
   * answers it with an error and drops the connection once; the store then
   * uses one-shot watches for the rest of its life. `false` uses them from
   * the start. @default true
   */
  persistentWatches?: boolean;
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`\`${name}\` must be a positive number of milliseconds, got ${value}`);
  return value;
}

/**
 * A session with ZooKeeper through node-zookeeper-client. The chroot of the
 * connect string is applied here (and created on the first write), so a
 * fresh ensemble needs no preparation. After an expiry a new session is
 * opened with backoff; mirrors resync on every (re)connect.
 */
export class ZooKeeperStore extends EventEmitter<StoreEvents> implements Store {
  readonly #connect: ConnectString;
  readonly #sessionTimeoutMs: number;
  readonly #opTimeoutMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #auth: Credentials | undefined;
  #policy: { value: AclPolicy | undefined; at: number } | undefined;
  #client: Client | undefined;
  #state: SessionState = 'connecting';
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  /** The client socket corked until the end of this turn (`#cork`). */
  #corked: object | undefined;
  readonly #mirrors = new Set<ZooKeeperMirror>();
  /** False once a server did not know persistent watches, or when the options say so. */
  #persistentWatches: boolean;
  /** Each mirror's tree watch: its events → the server path of its root. */
  readonly #treeWatchers = new Map<(event: TreeEvent) => void, string>();

  constructor(options: ZooKeeperStoreOptions) {
    super();
    this.#connect = parseConnectString(options.connect);
    this.#sessionTimeoutMs = positive(options.sessionTimeoutMs, 'sessionTimeoutMs', 30_000);
    this.#opTimeoutMs = positive(options.operationTimeoutMs, 'operationTimeoutMs', 10_000);
    this.#backoffMs = positive(options.backoffMs, 'backoffMs', 100);
    this.#maxBackoffMs = positive(options.maxBackoffMs, 'maxBackoffMs', 5000);
    this.#auth = options.auth;
    this.#persistentWatches = options.persistentWatches ?? true;
  }

  /** Opens a store and starts connecting (without waiting: see `ready()`). */
  static open(options: ZooKeeperStoreOptions): ZooKeeperStore {
    const store = new ZooKeeperStore(options);
    store.#startSession();
    return store;
  }

  get state(): SessionState { return this.#state; }

  /** Negotiated with the server once connected; the value asked for before. */
  get sessionTimeoutMs(): number { return this.#client?.getSessionTimeout() ?? this.#sessionTimeoutMs; }

  #startSession(): void {
    const client = zookeeper.createClient(serversString(this.#connect), { sessionTimeout: this.#sessionTimeoutMs, spinDelay: 200, retries: 0 });
    this.#client = client;
    deliverWholeReplies(client, fastReplies(client));
    // Queued before connect(): the library sends it after every handshake.
    if (this.#auth) client.addAuthInfo('digest', this.#auth.authBytes());
    tapEvents(client, (event) => { if (this.#client === client) this.#treeEvent(event.type, event.path); });
    client.on('state', (s: { code: number }) => {
      if (this.#client !== client) return;
      if (s.code === State.SYNC_CONNECTED.code) { this.#failures = 0; this.#policy = undefined; this.#setState('connected'); }
      else if (s.code === State.DISCONNECTED.code || s.code === State.CONNECTED_READ_ONLY.code) {
        if (this.#state !== 'connecting') this.#setState('disconnected');
      } else if (s.code === State.EXPIRED.code || s.code === State.AUTH_FAILED.code) this.#expire(client);
    });
    client.connect();
    this.#startWatchdog();
  }

  /**
   * node-zookeeper-client has no timeout on the session handshake: a TCP
   * connection that a (re)starting server accepts but never answers hangs
   * it for good (measured here: ~1 reconnect in 3 after a ZooKeeper
   * restart). While not connected, a socket that is open but unanswered for
   * HANDSHAKE_MS is destroyed, and the library reconnects with the same
   * session. This reaches into the library's connection manager, guarded.
   */
  #startWatchdog(): void {
    if (this.#watchdog) return;
    const seen = new WeakMap<object, number>();
    this.#watchdog = setInterval(() => {
      if (this.#state === 'connected' || this.#state === 'closed') return;
      const manager = (this.#client as unknown as { connectionManager?: { socket?: { connecting?: boolean; destroyed?: boolean; destroy?: () => void } } } | undefined)?.connectionManager;
      const socket = manager?.socket;
      if (!socket || socket.connecting !== false || socket.destroyed !== false || typeof socket.destroy !== 'function') return;
      const first = seen.get(socket);
      if (first === undefined) seen.set(socket, Date.now());
      else if (Date.now() - first >= HANDSHAKE_MS) socket.destroy();
    }, HANDSHAKE_MS / 4);
    this.#watchdog.unref();
  }

  #expire(client: Client): void {
    this.#client = undefined;
    try { client.close(); } catch { /* already closing */ }
    this.#setState('expired');
    const delay = backoffDelay(this.#failures++, this.#backoffMs, this.#maxBackoffMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#state !== 'closed') this.#startSession();
    }, delay);
    this.#retryTimer.unref();
  }

  #setState(state: SessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
    if (state === 'connected' || state === 'disconnected' || state === 'expired') this.emit(state);
    for (const m of this.#mirrors) m.sessionState(state);
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    if (this.#state === 'closed') throw new RegistryClosedError();
    if (this.#state === 'connected') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.off('connected', done); reject(new RegistryUnavailableError('connect', `no session within ${timeoutMs} ms`)); }, timeoutMs);
      timer.unref();
      const done = () => { clearTimeout(timer); resolve(); };
      this.once('connected', done);
    });
  }

  /** A watch event, to the tree watch of each mirror whose root is the node or above it. */
  #treeEvent(type: number, serverPath: string): void {
    for (const [onEvent, root] of this.#treeWatchers) {
      if (isUnder(serverPath, root)) onEvent({ type, path: this.rel(serverPath) });
    }
  }

  /**
   * Sets a mirror's tree watch on this connection: 'off' when this store
   * does not use them or the server cannot hold them, 'refused' when the
   * server does not know them and drops the connection (from then on this
   * store never asks again). Events reach `onEvent` from the
   * moment the server has it, until the mirror closes (`#unwatchTree`).
   */
  async #watchTree(path: string, onEvent: (event: TreeEvent) => void): Promise<'set' | 'off' | 'refused'> {
    const client = this.#client;
    if (!this.#persistentWatches || !client || !canWatchTrees(client)) return 'off';
    const abs = this.#abs(path);
    this.#treeWatchers.set(onEvent, abs);
    try {
      await this.#call<void>('addWatch', (c, done) => { addTreeWatch(c, abs).then(() => done(null), (err: ZkError) => done(err)); });
      return 'set';
    } catch (err) {
      const code = zkCode(err);
      if (code !== UNIMPLEMENTED && code !== CANNOT_HOLD) throw err;
      this.#persistentWatches = false;
      this.#treeWatchers.delete(onEvent);
      return code === UNIMPLEMENTED ? 'refused' : 'off';
    }
  }

  /**
   * A closed mirror's tree watch, off the server unless another mirror of
   * this store watches the same root (the server holds one watch per path
   * and connection). Without this, a process that opens and closes mirrors
   * on one session (`herald roll`'s drain of one instance after another)
   * leaves a watch per mirror, each sending its subtree's events until the
   * connection ends. Not after a reconnect: a new connection holds only the
   * watches set on it. Its failure costs nothing but that watch.
   */
  #unwatchTree(onEvent: (event: TreeEvent) => void): void {
    const abs = this.#treeWatchers.get(onEvent);
    if (abs === undefined) return;
    this.#treeWatchers.delete(onEvent);
    for (const root of this.#treeWatchers.values()) if (root === abs) return;
    this.#send<void>('removeWatches', (c, done) => { removeTreeWatch(c, abs).then(() => done(null), (err: ZkError) => done(err)); }, () => {});
  }

  /** Store path → server path (the chroot applied). */
  #abs(path: string): string {
    validatePath(path);
    const root = this.#connect.chroot;
    return root === '' ? path : path === '/' ? root : root + path;
  }

  /** Server path → store path. */
  rel(path: string): string {
    const root = this.#connect.chroot;
    if (root === '') return path;
    return path === root ? '/' : path.slice(root.length);
  }

  /**
   * Holds the client's writes until this turn of the event loop is over, so
   * the requests it issues go out in one write: the library writes each
   * request as it is queued, one system call and one TCP segment each (a
   * mirror's sync issues hundreds in a loop; one child event's replies lead
   * to the next reads), the largest single cost of following the registry
   * in the main thread under churn. Reaches into the library's connection
   * manager, guarded: without a socket that corks, writes go as before.
   */
  #cork(client: Client): void {
    const socket = (client as unknown as { connectionManager?: { socket?: { cork?: () => void; uncork?: () => void; destroyed?: boolean } } }).connectionManager?.socket;
    if (!socket || socket === this.#corked || typeof socket.cork !== 'function' || typeof socket.uncork !== 'function' || socket.destroyed !== false) return;
    socket.cork();
    this.#corked = socket;
    setImmediate(() => {
      if (this.#corked === socket) this.#corked = undefined;
      socket.uncork!();
    });
  }

  /** Runs one client call with a timeout; ZooKeeper errors pass through with their numeric `code`. */
  #call<T>(operation: string, fn: (client: Client, done: (err: ZkError | null, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => this.#send<T>(operation, fn, (err, value) => (err ? reject(err) : resolve(value as T))));
  }

  /**
   * `#call` with a callback, which runs in the client's own handling of the
   * reply: in the order ZooKeeper sent the replies and watch events (a
   * promise's continuation runs after every other packet of that read).
   * Called once: with the error when the call cannot be made, or makes no
   * reply within the operation timeout (a later reply is then dropped).
   */
  #send<T>(operation: string, fn: (client: Client, done: (err: ZkError | null, value?: T) => void) => void, done: (err: unknown, value?: T) => void): void {
    if (this.#state === 'closed') { done(new RegistryClosedError()); return; }
    const client = this.#client;
    if (!client || this.#state !== 'connected') { done(new RegistryUnavailableError(operation, `session is ${this.#state}`)); return; }
    this.#cork(client);
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      done(new RegistryUnavailableError(operation, `no reply in ${this.#opTimeoutMs} ms`));
    }, this.#opTimeoutMs);
    timer.unref();
    fn(client, (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(err, value);
    });
  }

  #fail(operation: string, err: unknown, path?: string): never {
    if (zkCode(err) === Exception.NO_AUTH) throw new RegistryAccessError(operation, path ?? '');
    if (err instanceof Error && 'code' in err && typeof err.code === 'number') {
      throw new RegistryUnavailableError(path === undefined ? operation : `${operation} ${path}`, err.message, { cause: err });
    }
    throw err;
  }

  async get(path: string): Promise<NodeData | undefined> {
    const abs = this.#abs(path);
    try {
      const [data, stat] = await this.#call<[Buffer | undefined, Stat]>('get', (c, done) => c.getData(abs, undefined, (e, d, s) => done(e, [d, s])));
      const session = sessionIdHex(stat.ephemeralOwner);
      return session === undefined ? { data: text(data), ...this.#ownership(stat) } : { data: text(data), ...this.#ownership(stat), session };
    } catch (err) {
      if (zkCode(err) === Exception.NO_NODE) return undefined;
      this.#fail(`get ${path}`, err);
    }
  }

  #ownership(stat: Stat): { ephemeral: boolean; ownedByMe: boolean } {
    const owner = stat.ephemeralOwner;
    const ephemeral = owner.some((b) => b !== 0);
    return { ephemeral, ownedByMe: ephemeral && this.#client !== undefined && owner.equals(this.#client.getSessionId()) };
  }

  async children(path: string): Promise<string[] | undefined> {
    const abs = this.#abs(path);
    try {
      const names = await this.#call<string[]>('children', (c, done) => c.getChildren(abs, undefined, (e, ch) => done(e, ch)));
      return names.sort();
    } catch (err) {
      if (zkCode(err) === Exception.NO_NODE) return undefined;
      this.#fail(`children ${path}`, err);
    }
  }

  /** Creates every missing ancestor of the server path `abs` (the chroot included) as persistent with null data. */
  async #mkdirs(abs: string): Promise<void> {
    for (const dir of ancestors(abs)) {
      const acls = await this.#acls(dir, 'dir');
      try {
        await this.#create(dir, null, acls, CreateMode.PERSISTENT);
      } catch (err) {
        const code = zkCode(err);
        if (code === Exception.NODE_EXISTS) continue;
        // The parent's ACL is checked before existence: no CREATE there is fine if the node is there.
        if (code === Exception.NO_AUTH && (await this.#stat(dir).catch(() => null))) continue;
        this.#fail('create', err, this.rel(dir));
      }
    }
  }

  #create(abs: string, data: Buffer | null, acls: InstanceType<typeof ACL>[] | undefined, mode: number): Promise<string> {
    return this.#call<string>('create', (c, done) => {
      if (acls) c.create(abs, data, acls, mode, (e, p) => done(e, p));
      else c.create(abs, data, mode, (e, p) => done(e, p));
    });
  }

  /** The ACL for a node about to be created at the server path `abs`; undefined (the library's world:anyone) without auth. */
  async #acls(abs: string, kind: NodeKind): Promise<InstanceType<typeof ACL>[] | undefined> {
    const auth = this.#auth;
    if (!auth) return undefined;
    const root = this.#connect.chroot;
    const path = root !== '' && abs !== root && !abs.startsWith(root + '/') ? '/' : this.rel(abs);
    return aclFor(path, kind, await this.#currentPolicy(), auth.digestId).map((e) => new ACL(e.perms, new Id(e.scheme, e.id)));
  }

  async #currentPolicy(): Promise<AclPolicy | undefined> {
    const cached = this.#policy;
    if (cached && Date.now() - cached.at < POLICY_TTL_MS) return cached.value;
    const node = await this.get(POLICY_PATH);
    const value = parsePolicy(node?.data ?? null);
    this.#policy = { value, at: Date.now() };
    return value;
  }

  /** The ACL of a node (for `herald acl show`); undefined when it does not exist. */
  async getAcl(path: string): Promise<AclEntry[] | undefined> {
    const abs = this.#abs(path);
    try {
      const acls = await this.#call<InstanceType<typeof ACL>[]>('getACL', (c, done) => c.getACL(abs, (e, a) => done(e, a)));
      return acls.map((a) => ({ perms: a.permission, scheme: a.id.scheme as AclEntry['scheme'], id: a.id.id }));
    } catch (err) {
      if (zkCode(err) === Exception.NO_NODE) return undefined;
      this.#fail('getACL', err, path);
    }
  }

  /** Sets a node's ACL (any version; needs ADMIN on it). */
  async setAcl(path: string, entries: readonly AclEntry[]): Promise<void> {
    const abs = this.#abs(path);
    const acls = entries.map((e) => new ACL(e.perms, new Id(e.scheme, e.id)));
    await this.#call('setACL', (c, done) => c.setACL(abs, acls, -1, (e) => done(e))).catch((err) => this.#fail('setACL', err, path));
  }

  /** Creates a persistent node with exactly this ACL (its parents must exist); false when it was there. */
  async createWithAcl(path: string, data: string | null, entries: readonly AclEntry[]): Promise<boolean> {
    const acls = entries.map((e) => new ACL(e.perms, new Id(e.scheme, e.id)));
    try {
      await this.#create(this.#abs(path), bytes(data), acls, CreateMode.PERSISTENT);
      return true;
    } catch (err) {
      if (zkCode(err) === Exception.NODE_EXISTS) return false;
      this.#fail('create', err, path);
    }
  }

  async #stat(abs: string): Promise<Stat | null> {
    return this.#call<Stat | null>('exists', (c, done) => c.exists(abs, undefined, (e, s) => done(e, s)));
  }

  async putPersistent(path: string, data: string | null): Promise<void> {
    const abs = this.#abs(path);
    await this.#mkdirs(abs);
    const acls = await this.#acls(abs, 'persistent');
    try {
      await this.#create(abs, bytes(data), acls, CreateMode.PERSISTENT);
      return;
    } catch (err) {
      const code = zkCode(err);
      if (code !== Exception.NODE_EXISTS && !(code === Exception.NO_AUTH && (await this.#stat(abs).catch(() => null)))) this.#fail('create', err, path);
    }
    const stat = await this.#stat(abs).catch((err) => this.#fail(`exists ${path}`, err));
    if (stat && this.#ownership(stat).ephemeral) throw new NodeConflictError(path, 'is an ephemeral node');
    await this.#call('setData', (c, done) => c.setData(abs, bytes(data), -1, (e) => done(e))).catch((err) => this.#fail('set', err, path));
  }

  async putEphemeral(path: string, data: string | null): Promise<void> {
    const abs = this.#abs(path);
    await this.#mkdirs(abs);
    const acls = await this.#acls(abs, 'ephemeral');
    // Two rounds: the node may vanish between "exists" and "create".
    for (let round = 0; round < 2; round++) {
      try {
        await this.#create(abs, bytes(data), acls, CreateMode.EPHEMERAL);
        return;
      } catch (err) {
        const code = zkCode(err);
        if (code === Exception.NO_CHILDREN_FOR_EPHEMERALS) throw new NodeConflictError(path, 'has an ephemeral parent');
        if (code === Exception.NO_AUTH && !(await this.#stat(abs).catch(() => null))) this.#fail('create', err, path);
        else if (code !== Exception.NODE_EXISTS && code !== Exception.NO_AUTH) this.#fail('create', err, path);
      }
      const stat = await this.#stat(abs).catch((err) => this.#fail(`exists ${path}`, err));
      if (!stat) continue;
      const own = this.#ownership(stat);
      if (!own.ephemeral) throw new NodeConflictError(path, 'is a persistent node');
      if (!own.ownedByMe) throw new NodeOwnedError(path);
      await this.#call('setData', (c, done) => c.setData(abs, bytes(data), -1, (e) => done(e))).catch((err) => this.#fail('set', err, path));
      return;
    }
    throw new RegistryUnavailableError(`create ${path}`, 'the node kept appearing and vanishing');
  }

  async delete(path: string): Promise<boolean> {
    const abs = this.#abs(path);
    try {
      await this.#call('remove', (c, done) => c.remove(abs, -1, (e) => done(e)));
      return true;
    } catch (err) {
      const code = zkCode(err);
      if (code === Exception.NO_NODE) return false;
      if (code === Exception.NOT_EMPTY) throw new NodeConflictError(path, 'has children');
      this.#fail('delete', err, path);
    }
  }

  async createSequential(prefix: string, data: string | null): Promise<string> {
    const abs = this.#abs(prefix);
    await this.#mkdirs(abs);
    const acls = await this.#acls(abs, 'ephemeral');
    try {
      const created = await this.#create(abs, bytes(data), acls, CreateMode.EPHEMERAL_SEQUENTIAL);
      return this.rel(created);
    } catch (err) {
      if (zkCode(err) === Exception.NO_CHILDREN_FOR_EPHEMERALS) throw new NodeConflictError(prefix, 'has an ephemeral parent');
      this.#fail('create', err, prefix);
    }
  }

  watchGone(path: string, signal?: AbortSignal): Promise<void> {
    const abs = this.#abs(path);
    return new Promise<void>((resolve, reject) => {
      let done = false;
      let retryOnConnect = false;
      const finish = (err?: unknown): void => {
        if (done) return;
        done = true;
        this.off('state', onState);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve(); else reject(err);
      };
      const onAbort = (): void => finish(signal?.reason);
      const onState = (state: SessionState): void => {
        if (state === 'expired' || state === 'closed') finish(new RegistryUnavailableError(`watch ${path}`, `session ${state}`));
        else if (state === 'connected' && retryOnConnect) check();
      };
      // A data watch (not exists: on a missing node that would stay armed
      // for its creation) fires on deletion, or on a data change: look again.
      // The client re-sends it after a reconnect; a call lost to a
      // disconnection is retried on the next `connected`.
      const check = (): void => {
        retryOnConnect = false;
        if (done) return;
        const watcher: Watcher = (event) => { if (event.type === Event.NODE_DELETED) finish(); else check(); };
        this.#call<void>('getData', (c, cb) => c.getData(abs, watcher, (e) => cb(e))).then(
          () => undefined,
          (err) => {
            if (zkCode(err) === Exception.NO_NODE) finish();
            else if (this.#state === 'disconnected' || this.#state === 'connecting') retryOnConnect = true;
            else if (this.#state !== 'connected') finish(err);
            else if (zkCode(err) === Exception.CONNECTION_LOSS) retryOnConnect = true;
            else finish(err instanceof RegistryUnavailableError ? err : new RegistryUnavailableError(`watch ${path}`, String(err), { cause: err }));
          });
      };
      if (signal?.aborted) { finish(signal.reason); return; }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.on('state', onState);
      check();
    });
  }

  mirror(root: string): Mirror {
    if (this.#state === 'closed') throw new RegistryClosedError();
    validatePath(root);
    let tree: ((event: TreeEvent) => void) | undefined;
    const source: WatchSource = {
      getData: (path, watcher, onReply) => this.#send('getData', (c, done) => c.getData(this.#abs(path), watcher, (e, d, s) => done(e, { data: text(d), session: s ? sessionIdHex(s.ephemeralOwner) : undefined })), onReply),
      getChildren: (path, watcher, onReply) => this.#send('getChildren', (c, done) => c.getChildren(this.#abs(path), watcher, (e, ch) => done(e, ch)), onReply),
      exists: (path, watcher) => this.#call('exists', (c, done) => c.exists(this.#abs(path), watcher, (e, s) => done(e, s !== null))),
      watchTree: (path, onEvent) => { tree = onEvent; return this.#watchTree(path, onEvent); },
      isNoNode: (err) => zkCode(err) === Exception.NO_NODE,
      state: () => this.#state,
    };
    const mirror = new ZooKeeperMirror(root, source, () => { this.#mirrors.delete(mirror); if (tree) this.#unwatchTree(tree); });
    this.#mirrors.add(mirror);
    mirror.sessionState(this.#state);
    return mirror;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#treeWatchers.clear(); // the session's end takes its watches
    for (const m of [...this.#mirrors]) m.close();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#watchdog) clearInterval(this.#watchdog);
    const client = this.#client;
    const neverConnected = this.#state === 'connecting';
    this.#client = undefined;
    this.#setState('closed');
    if (!client) return;
    // No session was ever made (an unreachable server): nothing to close on
    // the server, and no state event would come to end the wait below.
    if (neverConnected) { try { client.close(); } catch { /* not connected */ } return; }
    // close() sends closeSession, so the ephemerals go now, not at the timeout.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      client.once('disconnected', () => { clearTimeout(timer); resolve(); });
      client.once('state', () => { clearTimeout(timer); resolve(); });
      try { client.close(); } catch { clearTimeout(timer); resolve(); }
    });
  }
}


function zkCode(err: unknown): number | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
}

function text(data: Buffer | undefined | null): string | null {
  return data && data.length > 0 ? data.toString('utf8') : null;
}

function bytes(data: string | null): Buffer | null {
  return data === null ? null : Buffer.from(data, 'utf8');
}
