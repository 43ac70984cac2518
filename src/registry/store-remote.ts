import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { HeraldError, InvalidArgumentError } from '../errors.ts';
import { CredentialsFileError, parseCredentials, type Credentials } from './credentials.ts';
import { NodeConflictError, NodeOwnedError, RegistryAccessError, RegistryClosedError, RegistryUnavailableError } from './errors.ts';
import { MirrorBase } from './mirror-base.ts';
import { validatePath } from './path.ts';
import type { RemoteMessage, RemoteRequest } from './store-remote-protocol.ts';
import type { Mirror, NodeData, SessionState, Snapshot, SnapshotDelta, SnapshotNode, Store, StoreEvents } from './store.ts';
import { backoffDelay } from '../backoff.ts';
import { readJsonLines } from '../json-lines.ts';

export interface RemoteStoreOptions {
  /** @default 10000 */
  operationTimeoutMs?: number;
  /** The server's token (`herald serve --registry-token FILE`), when the connect string has none. */
  auth?: Credentials;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
type Body = { op: 'get' | 'children' | 'delete' | 'mirror' | 'unmirror' | 'watchGone'; path: string }
  | { op: 'putPersistent' | 'putEphemeral' | 'createSequential'; path: string; data: string | null };

/**
 * A session on a `MemoryRegistry` in another process (`memory://HOST:PORT`,
 * served by `herald serve --registry memory --registry-listen`). The TCP
 * connection is the session: when it drops, its ephemerals are gone, so the
 * store reports `expired` and reconnects with backoff (`connected` again).
 * With a token (`memory://USER:PASSWORD@HOST:PORT`, or `auth`) the first
 * line of every connection is the token, and the session is `connected`
 * once the server has accepted it.
 */
export class RemoteStore extends EventEmitter<StoreEvents> implements Store {
  readonly #host: string;
  readonly #port: number;
  readonly #opTimeoutMs: number;
  #socket: Socket | undefined;
  #state: SessionState = 'connecting';
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #mirrors = new Map<string, RemoteMirror>();
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
  readonly #token: Credentials | undefined;
  /** Why the server closed the last connection, when it refused the token. */
  #refused: Error | undefined;

  constructor(connectString: string, options: RemoteStoreOptions = {}) {
    super();
    const m = /^memory:\/\/(?:([^@/]*)@)?(\[[^\]]+\]|[^:/@]+):(\d+)\/?$/.exec(connectString);
    // The token never goes into an error: the string is shown with it cut out.
    if (!m) throw new InvalidArgumentError(`expected memory://[USER:PASSWORD@]HOST:PORT, got ${JSON.stringify(connectString.replace(/\/\/[^@/]*@/, '//***@'))}`);
    this.#host = m[2]!.replace(/^\[|\]$/g, '');
    this.#port = Number(m[3]);
    this.#opTimeoutMs = options.operationTimeoutMs ?? 10_000;
    if (m[1] !== undefined) {
      try { this.#token = parseCredentials(decodeURIComponent(m[1]), 'memory:// connect string'); } catch (err) {
        if (err instanceof CredentialsFileError) throw new InvalidArgumentError('the token of a memory:// connect string must be USER:PASSWORD');
        throw err;
      }
    } else this.#token = options.auth;
  }

  static open(connectString: string, options: RemoteStoreOptions = {}): RemoteStore {
    const store = new RemoteStore(connectString, options);
    store.#connect();
    return store;
  }

  get state(): SessionState { return this.#state; }

  #connect(): void {
    const socket = connect(this.#port, this.#host);
    this.#socket = socket;
    socket.setNoDelay(true);
    const admitted = (): void => {
      this.#failures = 0;
      this.#refused = undefined;
      this.#setState('connected');
      for (const root of this.#mirrors.keys()) this.#send({ op: 'mirror', path: root }).catch(() => {});
    };
    socket.on('connect', () => {
      if (this.#token) socket.write(JSON.stringify({ id: 0, op: 'hello', token: this.#token.authBytes().toString('utf8') } satisfies RemoteRequest) + '\n');
      else admitted();
    });
    readJsonLines(socket, (line) => {
      const m = line as RemoteMessage;
      if (typeof m === 'object' && m !== null && 'id' in m && m.id === 0) {
        // The answer to our token, or the server's one line before it closes a connection that sent none.
        if (m.ok) { admitted(); return; }
        const refused = new RegistryAccessError('connect', `memory://${this.#host}:${this.#port}`);
        this.#refused = refused;
        for (const [id, p] of this.#pending) { clearTimeout(p.timer); p.reject(refused); this.#pending.delete(id); }
        socket.destroy();
        return;
      }
      this.#onMessage(m);
    }, () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      for (const [id, p] of this.#pending) { clearTimeout(p.timer); p.reject(new RegistryUnavailableError('request', 'connection closed')); this.#pending.delete(id); }
      if (this.#state === 'closed') return;
      if (this.#state === 'connected') this.#setState('expired');
      for (const m of this.#mirrors.values()) m.stale();
      const delay = backoffDelay(this.#failures++, 100, 5000);
      this.#retry = setTimeout(() => { this.#retry = undefined; if (this.#state !== 'closed') this.#connect(); }, delay);
      this.#retry.unref();
    });
  }

  #setState(state: SessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
    if (state === 'connected' || state === 'disconnected' || state === 'expired') this.emit(state);
  }

  #onMessage(m: RemoteMessage): void {
    if ('mirror' in m) {
      const mirror = this.#mirrors.get(m.mirror);
      if ('nodes' in m) mirror?.receive(new Map<string, SnapshotNode>(m.nodes.map((n) => [n.path, n])));
      else mirror?.receiveDelta({ changed: m.changed, removed: m.removed });
      return;
    }
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.value);
    else p.reject(remoteError(m.code, m.message, m.path));
  }

  #send(body: Body, timeoutMs: number | undefined = this.#opTimeoutMs): Promise<unknown> {
    if (this.#state === 'closed') return Promise.reject(new RegistryClosedError());
    validatePath(body.path);
    const socket = this.#socket;
    if (!socket || this.#state !== 'connected') return Promise.reject(new RegistryUnavailableError(body.op, `session is ${this.#state}`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#pending.delete(id); reject(new RegistryUnavailableError(body.op, `no reply in ${timeoutMs} ms`)); }, timeoutMs ?? 2 ** 31 - 1);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      socket.write(JSON.stringify({ id, ...body } as RemoteRequest) + '\n');
    });
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    if (this.#state === 'closed') throw new RegistryClosedError();
    if (this.#state === 'connected') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.off('connected', done); reject(this.#refused ?? new RegistryUnavailableError('connect', `no session within ${timeoutMs} ms`)); }, timeoutMs);
      timer.unref();
      const done = () => { clearTimeout(timer); resolve(); };
      this.once('connected', done);
    });
  }

  async get(path: string): Promise<NodeData | undefined> { return (await this.#send({ op: 'get', path })) as NodeData | undefined; }
  async children(path: string): Promise<string[] | undefined> { return (await this.#send({ op: 'children', path })) as string[] | undefined; }
  async putPersistent(path: string, data: string | null): Promise<void> { await this.#send({ op: 'putPersistent', path, data }); }
  async putEphemeral(path: string, data: string | null): Promise<void> { await this.#send({ op: 'putEphemeral', path, data }); }
  async delete(path: string): Promise<boolean> { return (await this.#send({ op: 'delete', path })) as boolean; }
  async createSequential(prefix: string, data: string | null): Promise<string> { return (await this.#send({ op: 'createSequential', path: prefix, data })) as string; }

  /** The session is the connection: it ends when either side goes, never by a timeout. */
  get sessionTimeoutMs(): number { return Number.POSITIVE_INFINITY; }

  watchGone(path: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      // A dropped connection rejects it: the watch ended with the session.
      this.#send({ op: 'watchGone', path }, undefined).then(
        () => { signal?.removeEventListener('abort', onAbort); resolve(); },
        (err: Error) => { signal?.removeEventListener('abort', onAbort); reject(err); },
      );
    });
  }

  mirror(root: string): Mirror {
    if (this.#state === 'closed') throw new RegistryClosedError();
    validatePath(root);
    let mirror = this.#mirrors.get(root);
    if (!mirror) {
      const m = new RemoteMirror(root, () => { this.#mirrors.delete(root); this.#send({ op: 'unmirror', path: root }).catch(() => {}); });
      this.#mirrors.set(root, m);
      mirror = m;
      if (this.#state === 'connected') this.#send({ op: 'mirror', path: root }).catch(() => {});
      else m.stale();
    }
    return mirror;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    for (const m of [...this.#mirrors.values()]) m.close();
    if (this.#retry) clearTimeout(this.#retry);
    this.#setState('closed');
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((r) => { socket.once('close', () => r()); socket.end(); setTimeout(() => { socket.destroy(); r(); }, 1000).unref(); });
  }
}

class RemoteMirror extends MirrorBase {
  readonly #onClose: () => void;
  #closed = false;
  constructor(root: string, onClose: () => void) { super(root); this.#onClose = onClose; }
  /** A whole copy: the first sync, or a reconnect's (published as what differs). */
  receive(snapshot: Snapshot): void { if (!this.#closed) { this.markStale(false); this.publish(snapshot); } }
  /** A later step; the server sends each mirror's whole copy first, on every connection. */
  receiveDelta(delta: SnapshotDelta): void { if (!this.#closed && this.published) this.publishDelta(delta); }
  stale(): void { this.markStale(true); }
  close(): void { if (!this.#closed) { this.#closed = true; this.#onClose(); } }
}

function remoteError(code: string, message: string, path: string | undefined): Error {
  if (code === 'HERALD_NODE_OWNED' && path) return new NodeOwnedError(path);
  if (code === 'HERALD_NODE_CONFLICT' && path) return new NodeConflictError(path, message.slice(path.length + 2));
  if (code === 'HERALD_REGISTRY_CLOSED') return new RegistryUnavailableError('request', message);
  return new HeraldError(code, message);
}
