/** Queries a socket holds in an array before a Map takes over. */
const ARRAY_LIMIT = 16;

/**
 * The queries waiting on one socket, by ID. There are almost always one or
 * two: a small array searched in a line costs a third of what a Map did
 * (a Map that is added to and deleted from for every query rebuilds its
 * table every few deletions). Past ARRAY_LIMIT a Map holds them, so that a
 * socket with hundreds in flight still finds each reply at once; it gives
 * way to the array again when the socket drains.
 */
export class PendingQueries<T extends { readonly id: number }> {
  #list: T[] = [];
  #map: Map<number, T> | undefined;

  get size(): number {
    return this.#map === undefined ? this.#list.length : this.#map.size;
  }

  get(id: number): T | undefined {
    if (this.#map !== undefined) return this.#map.get(id);
    const list = this.#list;
    for (let i = 0; i < list.length; i++) if (list[i]!.id === id) return list[i];
    return undefined;
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds `entry`, whose ID none held has (the caller draws IDs until `has` says so). */
  add(entry: T): void {
    if (this.#map !== undefined) { this.#map.set(entry.id, entry); return; }
    if (this.#list.length < ARRAY_LIMIT) { this.#list.push(entry); return; }
    this.#map = new Map(this.#list.map((e) => [e.id, e]));
    this.#map.set(entry.id, entry);
    this.#list = [];
  }

  /** Removes `entry` itself (not another that came to hold its ID since); nothing when it is not held. */
  delete(entry: T): void {
    if (this.#map !== undefined) {
      if (this.#map.get(entry.id) === entry) this.#map.delete(entry.id);
      if (this.#map.size === 0) this.#map = undefined;
      return;
    }
    const list = this.#list;
    const i = list.indexOf(entry);
    if (i < 0) return;
    const last = list.pop()!;
    if (i < list.length) list[i] = last;
  }

  /** The entries now, as an array of their own: settling them while going through it is safe. */
  snapshot(): T[] {
    return this.#map === undefined ? [...this.#list] : [...this.#map.values()];
  }
}
