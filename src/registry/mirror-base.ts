import { EventEmitter } from 'node:events';
import { applySnapshotDelta, diffSnapshots } from './delta.ts';
import { RegistryUnavailableError } from './errors.ts';
import type { Mirror, MirrorEvents, Snapshot, SnapshotDelta, SnapshotNode } from './store.ts';

/**
 * What every mirror shares: the published state, staleness, the `synced()`
 * promise, and the events. The state is one map changed in place by each
 * delta; the immutable `Snapshot` is copied from it only when asked for (a
 * `change` listener or `snapshot`), so a consumer of `delta` never pays
 * O(subtree) per change.
 */
export abstract class MirrorBase extends EventEmitter<MirrorEvents> implements Mirror {
  readonly root: string;
  /** The published state; undefined until the first sync. */
  #nodes: Map<string, SnapshotNode> | undefined;
  /** The copy handed out for the current state, until the next change. */
  #snapshot: Snapshot | undefined;
  #staleSince: number | undefined;

  constructor(root: string) {
    super();
    this.root = root;
  }

  get snapshot(): Snapshot | undefined {
    if (!this.#nodes) return undefined;
    return (this.#snapshot ??= new Map(this.#nodes));
  }

  node(path: string): SnapshotNode | undefined { return this.#nodes?.get(path); }
  get staleSince(): number | undefined { return this.#staleSince; }
  /** True once the first full copy was published. */
  protected get published(): boolean { return this.#nodes !== undefined; }

  /** Emits `stale` / `current` on the transitions only. */
  protected markStale(stale: boolean): void {
    if (stale === (this.#staleSince !== undefined)) return;
    this.#staleSince = stale ? Date.now() : undefined;
    if (stale) this.emit('stale', this.#staleSince!);
    else this.emit('current');
  }

  /** Publishes a whole copy: `synced` the first time; after that, what differs from the current state. */
  protected publish(snapshot: Snapshot): void {
    if (!this.#nodes) {
      this.#nodes = new Map(snapshot);
      this.#snapshot = snapshot;
      this.emit('synced', snapshot);
      return;
    }
    this.publishDelta(diffSnapshots(this.#nodes, snapshot));
  }

  /** Publishes a step after the first sync: `delta` (then `change`) when it changes anything. */
  protected publishDelta(delta: SnapshotDelta): void {
    if (!this.#nodes) throw new Error('publishDelta before the first sync');
    const net = applySnapshotDelta(this.#nodes, delta);
    if (net.changed.length === 0 && net.removed.length === 0) return;
    this.#snapshot = undefined;
    this.emit('delta', net);
    if (this.listenerCount('change') > 0) this.emit('change', this.snapshot!);
  }

  synced(timeoutMs = 30_000): Promise<Snapshot> {
    if (this.#nodes) return Promise.resolve(this.snapshot!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('synced', done);
        reject(new RegistryUnavailableError('sync', `no full copy of ${this.root} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const done = (s: Snapshot) => { clearTimeout(timer); resolve(s); };
      this.once('synced', done);
    });
  }

  abstract close(): void;
}
