// Imported, not the global: Node 24's global `performance` is an accessor, a getter call at every use.
import { performance } from 'node:perf_hooks';
import { MirrorBase } from './mirror-base.ts';
import { childPath, parentPath } from './path.ts';
import { treeDelta } from './delta.ts';
import { buildSnapshot, type TreeNode } from './snapshot.ts';
import type { SessionState } from './store.ts';

// The watch callback as node-zookeeper-client calls it, declared here so the
// published declarations do not depend on that untyped package.
export interface WatchEvent { type: number; name: string; path: string }
export type Watcher = (event: WatchEvent) => void;

/** An event of a tree watch: a node at or under the watched path created (1), deleted (2) or changed (3); `path` in the store's terms. */
export interface TreeEvent { type: number; path: string }

/** How a read's reply reaches the mirror: once, with the error or the value. */
export type OnReply<T> = (err: unknown, value?: T) => void;

/**
 * The client calls a mirror needs, with the store's chroot and timeouts
 * applied. A read without a watcher arms none. A read's `onReply` runs in
 * the client's handling of the reply itself, not a turn later: replies and
 * tree events then reach the mirror in the order ZooKeeper sent them (with
 * a promise, a list read before a join was applied after the join's event,
 * and took the new member out again).
 */
export interface WatchSource {
  /** The node's data and, for an ephemeral node, its owner session (hex). */
  getData(path: string, watcher: Watcher | undefined, onReply: OnReply<{ data: string | null; session: string | undefined }>): void;
  getChildren(path: string, watcher: Watcher | undefined, onReply: OnReply<string[]>): void;
  exists(path: string, watcher: Watcher): Promise<boolean>;
  /**
   * Sets a persistent recursive watch on `path` for this connection (see
   * zk-tree-watch.ts): 'set'; 'off' when the source does not use them or
   * the server cannot hold them; 'refused' when the server does not know
   * them (it then drops the connection). Without it, or when it is not
   * 'set', the mirror watches each node.
   */
  watchTree?(path: string, onEvent: (event: TreeEvent) => void): Promise<'set' | 'off' | 'refused'>;
  isNoNode(err: unknown): boolean;
  state(): SessionState;
}

const NODE_CREATED = 1;
const NODE_DELETED = 2;
const NODE_DATA_CHANGED = 3;
const RETRY_MS = 500;
/**
 * Reads in flight at once. A resync reads every node (data and children): at
 * 100k nodes, issuing all 200k together left each waiting behind the rest
 * past the read timeout, so the first sync never completed. A bounded queue
 * keeps every read's wait short; the order stays breadth-first.
 */
const MAX_READS = 512;
/**
 * While reads keep coming (churn), a step is published this long after the
 * first unpublished change at the latest, not only when no read is in
 * flight: under steady churn that moment may not come for seconds.
 */
const STEP_MS = 5;
/**
 * A step follows the one before it by this long at least. Each step costs
 * its consumers a fixed price whatever it holds (the DNS server posts it to
 * every answering thread and applies it in each); at 1000 changes/s with
 * no read in flight between changes nearly every change was a step of its
 * own. A change after a quiet spell is published at once.
 */
export const STEP_GAP_MS = 3;
/**
 * A persistent node's children are read at most once per this long: a
 * child watch that fires sooner after the last read waits out the rest.
 * ZooKeeper's child watch is one-shot and carries no names, so every
 * change to the list made while the read waits is picked up by that one
 * read (and announced by no further event): under churn in a service, one
 * event and one read of its whole child list serve several joins and
 * leaves instead of each paying them. A change after a quiet spell is read at once.
 */
export const CHILDREN_GAP_MS = 8;

/**
 * Keeps a copy of a ZooKeeper subtree through one persistent recursive
 * watch on its root where the server has them (3.6 and later; set again on
 * every connection), else through one data watch and one child watch per
 * node (the same function per path, which the client deduplicates, so
 * re-reads never stack watchers). With the tree watch a join is one data
 * read, a leave none, and no child list is read after the sync: a node's
 * children follow from the creations and deletions reported under it,
 * which ZooKeeper delivers in order with the replies, so a list read
 * before a change is answered before the change is reported, and one read
 * after it already holds it. Reads run concurrently. The first sync
 * is published only when none is in flight, never a half-loaded tree. After
 * it a step is the delta of the paths touched, O(change) at any size of
 * subtree, published when no read is in flight or STEP_MS after its first
 * change, whichever is first (a burst of watch events is one step), and
 * STEP_GAP_MS after the step before at the soonest; a node
 * created but not read yet is left out of it, and out of its parent's
 * children, until its data arrives: every node published is as ZooKeeper
 * last answered for it, and every child listed is there with its data.
 * Every (re)connect re-reads the whole subtree: watches re-armed, and
 * anything missed while away picked up (and published as a delta too).
 */
export class ZooKeeperMirror extends MirrorBase {
  readonly #source: WatchSource;
  readonly #onClose: () => void;
  readonly #tree = new Map<string, TreeNode>();
  readonly #dataWatchers = new Map<string, Watcher>();
  readonly #childWatchers = new Map<string, Watcher>();
  #inflight = 0;
  #running = 0;
  #pending: (() => Promise<void>)[] = [];
  #head = 0;
  /** Paths touched since the last step (data, children, added or removed). */
  #dirty = new Set<string>();
  /** Nodes created in the tree whose data has not been read yet: not published. */
  readonly #loading = new Set<string>();
  #stepTimer: NodeJS.Timeout | undefined;
  /** When the armed `#stepTimer` fires (performance.now()). */
  #stepDue = 0;
  /** When the last step was published. */
  #lastStep = -Infinity;
  /** When the oldest change not yet published was seen while reads were in flight. */
  #dirtySince: number | undefined;
  /** Path → when its children were last asked for (CHILDREN_GAP_MS). */
  readonly #childrenAskedAt = new Map<string, number>();
  /** Child list re-reads waiting out CHILDREN_GAP_MS, by path. */
  readonly #childrenDue = new Map<string, NodeJS.Timeout>();
  #failed = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  /** Counts connections (each 'connected', and each loss): a reply about an earlier one is ignored. */
  #connection = 0;
  /** This connection follows the tree watch (asked for, or set): no per-node watches are armed. */
  #treeWatch = false;
  /** How the last connection watched, as last announced (`watches`). */
  #watchesBy: 'tree' | 'node' | undefined;

  constructor(root: string, source: WatchSource, onClose: () => void) {
    super(root);
    this.#source = source;
    this.#onClose = onClose;
  }

  /** Called by the store on every session state change. */
  sessionState(state: SessionState): void {
    if (this.#closed) return;
    const connection = ++this.#connection;
    this.#treeWatch = false;
    if (state !== 'connected') { this.markStale(true); return; }
    if (!this.#source.watchTree) { this.#resync(); return; }
    // Events may come before the reply is seen (the client handles a whole read's worth of packets in
    // one go): they are taken from the moment it is asked for.
    this.#treeWatch = true;
    const current = () => !this.#closed && connection === this.#connection;
    this.#source.watchTree(this.root, this.#treeEvent).then((result) => {
      if (!current()) return;
      this.#treeWatch = result === 'set';
      if (result !== 'refused') { this.#resync(); return; }
      // The server closes the connection after refusing: the resync comes with the next one (and one-shot
      // watches), not as reads failing now. Should it not close, the resync comes anyway.
      const wait = setTimeout(() => { if (current() && this.#source.state() === 'connected') this.#resync(); }, RETRY_MS);
      wait.unref();
    }, () => {
      // Not set (no reply in time): this connection watches each node; the next one asks again.
      if (!current()) return;
      this.#treeWatch = false;
      this.#resync();
    });
  }

  /** The tree watch: a node created under one held is loaded, one held created again is read; a deletion needs no read; a change is read. */
  readonly #treeEvent = (event: TreeEvent): void => {
    if (this.#closed || !this.#treeWatch) return;
    const path = event.path;
    if (event.type === NODE_DELETED) this.#removeNow(path);
    else if (this.#tree.has(path)) {
      // Changed, or created again (its data and owner may be new): read.
      if (event.type === NODE_DATA_CHANGED || event.type === NODE_CREATED) this.#track(() => this.#readData(path));
    } else if (event.type === NODE_CREATED) {
      if (path === this.root) { this.#load(path, true); return; }
      // Under a node not held yet, nothing: the read of that node's children lists it.
      const parent = this.#tree.get(parentPath(path));
      const name = path.slice(path.lastIndexOf('/') + 1);
      if (!parent || parent.session !== undefined || parent.children.has(name)) return;
      parent.children.add(name);
      this.#dirty.add(parentPath(path));
      this.#load(path, false);
    }
  };

  #resync(): void {
    const by = this.#treeWatch ? 'tree' : 'node';
    if (by !== this.#watchesBy) { this.#watchesBy = by; this.emit('watches', by); }
    this.#failed = false;
    this.#load(this.root, true);
  }

  /** Queues a read; at most MAX_READS run at once (see there). */
  #track(work: () => Promise<void>): void {
    this.#inflight++;
    this.#pending.push(work);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < MAX_READS && this.#head < this.#pending.length) {
      const work = this.#pending[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#pending.length) { this.#pending = this.#pending.slice(this.#head); this.#head = 0; }
      this.#running++;
      work().catch((err: unknown) => {
        if (this.#closed) return;
        // One report per failed round, not one per node: a resync of 100k nodes that times out would log 200k lines.
        if (!this.#failed && this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
        this.#failed = true;
      }).finally(() => {
        this.#running--;
        if (--this.#inflight === 0) this.#settle();
        else this.#stepSoon(true);
        this.#pump();
      });
    }
  }

  /** Nothing in flight: publish, or after a failure re-read everything once the session allows. */
  #settle(): void {
    if (this.#closed) return;
    if (this.#failed) {
      if (this.#source.state() === 'connected' && !this.#retry) {
        this.#retry = setTimeout(() => { this.#retry = undefined; if (!this.#closed && this.#source.state() === 'connected') this.#resync(); }, RETRY_MS);
        this.#retry.unref();
      }
      return;
    }
    if (this.#source.state() === 'connected') this.markStale(false);
    if (!this.published) {
      this.#dirty.clear();
      this.publish(buildSnapshot(this.root, this.#tree));
    } else this.#stepSoon(false);
  }

  /**
   * Arms the step for what is dirty: with no read in flight as soon as
   * STEP_GAP_MS after the last step allows (at once after a quiet spell),
   * with reads in flight (`busy`) STEP_MS after the first change waiting,
   * and never sooner than that gap.
   */
  #stepSoon(busy: boolean): void {
    if (this.#dirty.size === 0 || !this.published || this.#closed) return;
    const now = performance.now();
    let due = this.#lastStep + STEP_GAP_MS;
    if (busy) due = Math.max(due, (this.#dirtySince ??= now) + STEP_MS);
    if (due <= now) { this.#step(); return; }
    if (this.#stepTimer) {
      if (this.#stepDue <= due) return;
      clearTimeout(this.#stepTimer);
    }
    this.#stepDue = due;
    this.#stepTimer = setTimeout(this.#stepTimed, due - now);
    this.#stepTimer.unref();
  }

  /** The step timer: it may fire a little early by performance.now() (timers count from the loop's cached clock), so the gap is checked again. */
  readonly #stepTimed = (): void => {
    this.#stepTimer = undefined;
    this.#stepSoon(this.#inflight > 0);
  };

  /** Publishes the delta of what is read so far; nodes still loading wait for their data. */
  readonly #step = (): void => {
    if (this.#stepTimer) { clearTimeout(this.#stepTimer); this.#stepTimer = undefined; }
    if (this.#closed || this.#failed || !this.published || this.#dirty.size === 0) return;
    const paths = this.#dirty;
    this.#dirty = new Set();
    this.#dirtySince = undefined;
    for (const p of this.#loading) if (paths.delete(p)) this.#dirty.add(p);
    if (paths.size === 0) return;
    this.#lastStep = performance.now();
    this.publishDelta(treeDelta(this.#tree, paths, this.#loading));
  };

  #dataWatcher(path: string): Watcher {
    let w = this.#dataWatchers.get(path);
    if (!w) {
      w = (event: WatchEvent) => {
        // Armed on an earlier connection that had no tree watch, and re-armed by the client: this one has.
        if (this.#closed || this.#treeWatch) return;
        if (event.type === NODE_DELETED) {
          // The root's deletion must also arm a watch for its re-creation.
          if (path === this.root) { this.#track(() => this.#gone(path)); return; }
          this.#removeNow(path);
          return;
        }
        this.#track(() => this.#readData(path));
      };
      this.#dataWatchers.set(path, w);
    }
    return w;
  }

  #childWatcher(path: string): Watcher {
    let w = this.#childWatchers.get(path);
    if (!w) {
      w = (event: WatchEvent) => {
        if (this.#closed || this.#treeWatch || event.type === NODE_DELETED) return;
        this.#childrenChanged(path);
      };
      this.#childWatchers.set(path, w);
    }
    return w;
  }

  /** A child watch fired: the list is read again at once, or CHILDREN_GAP_MS after it was last asked for (see there). */
  #childrenChanged(path: string): void {
    if (this.#childrenDue.has(path)) return;
    const wait = (this.#childrenAskedAt.get(path) ?? -Infinity) + CHILDREN_GAP_MS - performance.now();
    if (wait <= 0 || !this.published) { this.#track(() => this.#readChildren(path, false)); return; }
    const timer = setTimeout(() => {
      this.#childrenDue.delete(path);
      // Checked again (it may fire a little early, see #stepTimed); gone meanwhile: nothing to read; the
      // session away: the resync on its return reads every list (a read now would only fail and be reported).
      if (!this.#closed && this.#tree.has(path) && this.#source.state() === 'connected') this.#childrenChanged(path);
    }, wait);
    timer.unref();
    this.#childrenDue.set(path, timer);
  }

  /**
   * Reads a node, then its children; `deep` re-reads every descendant too (a
   * resync). An ephemeral node cannot have children (ZooKeeper refuses
   * them), so its children are never read nor watched: at 100k instances
   * that is half the reads of a sync and 100k watches fewer.
   */
  #load(path: string, deep: boolean): void {
    if (!this.#tree.has(path)) { this.#tree.set(path, { data: null, children: new Set() }); this.#dirty.add(path); this.#loading.add(path); }
    this.#track(async () => {
      await this.#readData(path);
      const node = this.#tree.get(path);
      if (node && node.session === undefined) this.#track(() => this.#readChildren(path, deep));
    });
  }

  #readData(path: string): Promise<void> {
    return this.#read<{ data: string | null; session: string | undefined }>(path, (done) => this.#source.getData(path, this.#treeWatch ? undefined : this.#dataWatcher(path), done), ({ data, session }) => {
      const node = this.#tree.get(path);
      if (node && (node.data !== data || node.session !== session)) { node.data = data; node.session = session; this.#dirty.add(path); }
      // Read at last: it and its parent's child list (which left it out) can be published.
      if (node && this.#loading.delete(path)) { this.#dirty.add(path); if (path !== this.root) this.#dirty.add(parentPath(path)); }
    });
  }

  #readChildren(path: string, deep: boolean): Promise<void> {
    this.#childrenAskedAt.set(path, performance.now());
    return this.#read<string[]>(path, (done) => this.#source.getChildren(path, this.#treeWatch ? undefined : this.#childWatcher(path), done), (names) => {
      const node = this.#tree.get(path);
      if (!node) return;
      const next = new Set(names);
      for (const name of node.children) {
        if (!next.has(name)) { this.#remove(childPath(path, name)); node.children.delete(name); this.#dirty.add(path); }
      }
      for (const name of names) {
        const child = childPath(path, name);
        if (!node.children.has(name)) { node.children.add(name); this.#dirty.add(path); this.#load(child, deep); }
        else if (deep) this.#load(child, true);
      }
    });
  }

  /**
   * A read of `path` whose reply `apply` deals with the moment it arrives
   * (see WatchSource); a node gone meanwhile is dropped (`#gone`). Settles,
   * for the bookkeeping, once the reply is dealt with.
   */
  #read<T>(path: string, issue: (done: OnReply<T>) => void, apply: (value: T) => void): Promise<void> {
    return new Promise((resolve, reject) => issue((err, value) => {
      try {
        if (!err) { apply(value!); resolve(); }
        else if (this.#source.isNoNode(err)) resolve(this.#gone(path));
        else reject(err);
      } catch (e) {
        reject(e);
      }
    }));
  }

  /** A node is gone: drop its subtree; for the root, watch for it to be created (the tree watch reports that itself). */
  async #gone(path: string): Promise<void> {
    this.#remove(path);
    if (path !== this.root || this.#treeWatch) return;
    if (await this.#source.exists(path, this.#rootCreated)) this.#load(this.root, true);
  }

  readonly #rootCreated: Watcher = () => { if (!this.#closed && !this.#treeWatch) this.#load(this.root, true); };

  /** A deletion, which needs no read: dropped now, published as any change is. */
  #removeNow(path: string): void {
    this.#remove(path);
    if (this.#inflight === 0) this.#settle();
    else this.#stepSoon(true);
  }

  /** Drops `path` and its subtree, walking the children it holds: O(subtree), not O(tree), so one leaving instance costs the same at 100k nodes as at 10. */
  #remove(path: string): void {
    const parent = this.#tree.get(parentPath(path));
    if (parent && path !== this.root && parent.children.delete(path.slice(path.lastIndexOf('/') + 1))) this.#dirty.add(parentPath(path));
    const stack = [path];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const node = this.#tree.get(p);
      if (!node) continue;
      for (const name of node.children) stack.push(childPath(p, name));
      this.#tree.delete(p);
      this.#dataWatchers.delete(p);
      this.#childWatchers.delete(p);
      this.#childrenAskedAt.delete(p);
      const due = this.#childrenDue.get(p);
      if (due) { clearTimeout(due); this.#childrenDue.delete(p); }
      this.#loading.delete(p);
      this.#dirty.add(p);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#stepTimer) clearTimeout(this.#stepTimer);
    for (const timer of this.#childrenDue.values()) clearTimeout(timer);
    this.#childrenDue.clear();
    this.#onClose();
  }
}
