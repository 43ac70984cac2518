import { EventEmitter } from 'node:events';
import { NodeConflictError, NodeOwnedError, RegistryClosedError, RegistryUnavailableError } from './errors.ts';
import { MirrorBase } from './mirror-base.ts';
import { ancestors, isUnder, parentPath, validatePath } from './path.ts';
import { treeDelta } from './delta.ts';
import { buildSnapshot } from './snapshot.ts';
import { MemoryTree } from './store-memory-tree.ts';
import type { Mirror, NodeData, SessionState, Store, StoreEvents } from './store.ts';

/** The tree behind a registry, for this file's sessions only (not on the class: not part of the API). */
let treeOf: (registry: MemoryRegistry) => MemoryTree;

/**
 * An in-memory registry: the tree that ZooKeeper would hold, in this
 * process. Each `connect()` opens a session (`MemoryStore`) whose ephemeral
 * nodes vanish when it closes or `expire()`s.
 */
export class MemoryRegistry {
  readonly #tree = new MemoryTree();

  static {
    treeOf = (registry) => registry.#tree;
  }

  /** Opens a session. */
  connect(): MemoryStore {
    return new MemoryStore(this);
  }
}

/** A session with a `MemoryRegistry`; the same interface as `ZooKeeperStore`. */
export class MemoryStore extends EventEmitter<StoreEvents> implements Store {
  readonly #registry: MemoryTree;
  #state: SessionState = 'connected';
  readonly #mirrors = new Set<Mirror>();
  #sessionId: string;

  constructor(registry: MemoryRegistry) {
    super();
    this.#registry = treeOf(registry);
    this.#sessionId = this.#registry.nextSessionId();
  }

  /** This session's id (a new one after `expire()`, as ZooKeeper opens a new session). */
  get sessionId(): string { return this.#sessionId; }

  get state(): SessionState { return this.#state; }

  /** Memory sessions never time out. */
  get sessionTimeoutMs(): number { return Number.POSITIVE_INFINITY; }

  #open(): void {
    if (this.#state === 'closed') throw new RegistryClosedError();
  }

  async ready(): Promise<void> {
    this.#open();
  }

  async get(path: string): Promise<NodeData | undefined> {
    this.#open();
    validatePath(path);
    const node = this.#registry.node(path);
    if (!node) return undefined;
    const data: NodeData = { data: node.data, ephemeral: node.owner !== undefined, ownedByMe: node.owner === this };
    if (node.session !== undefined) data.session = node.session;
    return data;
  }

  async children(path: string): Promise<string[] | undefined> {
    this.#open();
    validatePath(path);
    const node = this.#registry.node(path);
    return node ? [...node.children].sort() : undefined;
  }

  #mkdirs(path: string): void {
    for (const dir of ancestors(path)) {
      const node = this.#registry.node(dir);
      if (!node) this.#registry.write(dir, null, undefined);
      else if (node.owner) throw new NodeConflictError(dir, 'is ephemeral and cannot have children');
    }
  }

  async putPersistent(path: string, data: string | null): Promise<void> {
    this.#open();
    validatePath(path);
    this.#mkdirs(path);
    const node = this.#registry.node(path);
    if (node?.owner) throw new NodeConflictError(path, 'is an ephemeral node');
    this.#registry.write(path, data, undefined);
  }

  async putEphemeral(path: string, data: string | null): Promise<void> {
    this.#open();
    validatePath(path);
    this.#mkdirs(path);
    const node = this.#registry.node(path);
    if (node && node.owner === undefined) throw new NodeConflictError(path, 'is a persistent node');
    if (node && node.owner !== this) throw new NodeOwnedError(path);
    this.#registry.write(path, data, this);
  }

  async delete(path: string): Promise<boolean> {
    this.#open();
    validatePath(path);
    const node = this.#registry.node(path);
    if (!node) return false;
    if (node.children.size > 0) throw new NodeConflictError(path, 'has children');
    this.#registry.remove(path);
    return true;
  }

  async createSequential(prefix: string, data: string | null): Promise<string> {
    this.#open();
    validatePath(prefix);
    this.#mkdirs(prefix);
    const path = prefix + String(this.#registry.nextSequence(parentPath(prefix))).padStart(10, '0');
    this.#registry.write(path, data, this);
    return path;
  }

  watchGone(path: string, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#open();
      validatePath(path);
      const finish = (err?: unknown): void => {
        this.#registry.off('change', onChange);
        this.off('state', onState);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve(); else reject(err);
      };
      const onChange = (): void => { if (!this.#registry.node(path)) finish(); };
      const onState = (state: SessionState): void => {
        if (state === 'expired' || state === 'closed') finish(new RegistryUnavailableError(`watch ${path}`, `session ${state}`));
      };
      const onAbort = (): void => finish(signal?.reason);
      if (signal?.aborted) { finish(signal.reason); return; }
      if (!this.#registry.node(path)) { finish(); return; }
      this.#registry.on('change', onChange);
      this.on('state', onState);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  mirror(root: string): Mirror {
    this.#open();
    validatePath(root);
    const mirror = new MemoryMirror(this.#registry, root, () => this.#mirrors.delete(mirror));
    this.#mirrors.add(mirror);
    return mirror;
  }

  /**
   * Ends the session as a ZooKeeper expiry would: ephemerals vanish, then
   * `expired`, then a new session (`connected`). For tests and the demo.
   */
  expire(): void {
    this.#open();
    this.#registry.removeOwnedBy(this);
    this.#setState('expired');
    this.#sessionId = this.#registry.nextSessionId();
    this.#setState('connected');
  }

  #setState(state: SessionState): void {
    this.#state = state;
    this.emit('state', state);
    if (state === 'connected' || state === 'disconnected' || state === 'expired') this.emit(state);
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    for (const m of [...this.#mirrors]) m.close();
    this.#registry.removeOwnedBy(this);
    this.#setState('closed');
  }
}

/**
 * Mirror of a memory registry: changes are batched per microtask, so a burst
 * of writes gives one step; after the first sync a step is the delta of the
 * paths written (and their parents, whose children changed).
 */
class MemoryMirror extends MirrorBase {
  readonly #registry: MemoryTree;
  readonly #onClose: () => void;
  #pending = false;
  #closed = false;
  readonly #dirty = new Set<string>();

  constructor(registry: MemoryTree, root: string, onClose: () => void) {
    super(root);
    this.#registry = registry;
    this.#onClose = onClose;
    registry.on('change', this.#onChange);
    this.#schedule();
  }

  #onChange = (paths: string[]): void => {
    let touched = false;
    for (const p of paths) {
      if (isUnder(p, this.root)) { this.#dirty.add(p); touched = true; }
      const parent = parentPath(p);
      if (p !== '/' && isUnder(parent, this.root)) this.#dirty.add(parent);
    }
    if (touched) this.#schedule();
  };

  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    queueMicrotask(() => {
      this.#pending = false;
      if (this.#closed) return;
      if (!this.published) this.publish(buildSnapshot(this.root, this.#registry.tree()));
      else this.publishDelta(treeDelta(this.#registry.tree(), this.#dirty));
      this.#dirty.clear();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#registry.off('change', this.#onChange);
    this.#onClose();
  }
}
