import { EventEmitter } from 'node:events';
import { RegistryUnavailableError } from './errors.ts';
import type { Mirror, MirrorEvents, Snapshot } from './store.ts';

/** What every mirror shares: the current snapshot, staleness and the `synced()` promise. */
export abstract class MirrorBase extends EventEmitter<MirrorEvents> implements Mirror {
  readonly root: string;
  #snapshot: Snapshot | undefined;
  #staleSince: number | undefined;

  constructor(root: string) {
    super();
    this.root = root;
  }

  get snapshot(): Snapshot | undefined { return this.#snapshot; }
  get staleSince(): number | undefined { return this.#staleSince; }

  /** Emits `stale` / `current` on the transitions only. */
  protected markStale(stale: boolean): void {
    if (stale === (this.#staleSince !== undefined)) return;
    this.#staleSince = stale ? Date.now() : undefined;
    if (stale) this.emit('stale', this.#staleSince!);
    else this.emit('current');
  }

  /** Publishes a new snapshot: `synced` the first time, `change` after. */
  protected publish(snapshot: Snapshot): void {
    const first = this.#snapshot === undefined;
    this.#snapshot = snapshot;
    this.emit(first ? 'synced' : 'change', snapshot);
  }

  synced(timeoutMs = 30_000): Promise<Snapshot> {
    if (this.#snapshot) return Promise.resolve(this.#snapshot);
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
