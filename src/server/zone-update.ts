import { isSubdomain } from '../dns/index.ts';
// The registry's pure leaves, not its index: this runs in every UDP worker thread, which must not load the ZooKeeper client.
import { pathToDomain } from '../registry/path.ts';
import type { Rejection, SnapshotDelta } from '../registry/index.ts';
import type { RegistryRecord } from '../registry/records.ts';
import { holds, readNode, recordRejection, rejectionKey, reverseAddress, shadowRejection, type Zone, type ZoneEntry } from './zone.ts';

/** What one `updateZone` changed: whatever answers could depend on, and the rejections that are new. */
export interface ZoneChange {
  /** Lower-cased names whose entry (holder, record or children) may have changed. */
  names: Set<string>;
  /** Addresses whose reverse (PTR) list or its targets may have changed. */
  addresses: Set<string>;
  /** Rejections that are new (a node, or its content, not rejected before): each is counted and reported once. */
  rejected: Rejection[];
}

/**
 * Applies a mirror's delta to a zone in place, in O(changed nodes): each
 * changed or removed node leaves the zone, and a changed one is read again
 * (`readNode`, the same checks as `buildZone`). A service's members are read
 * from its children at answer time, so its own node's change (a child list
 * changed) is all a member joining or leaving takes. The result equals
 * `buildZone` of the new snapshot (test/server/zone-update.test.ts).
 */
export function updateZone(zone: Zone, delta: SnapshotDelta): ZoneChange {
  const change: ZoneChange = { names: new Set(), addresses: new Set(), rejected: [] };
  /** Each touched path's rejection before this update. */
  const before = new Map<string, string | undefined>();
  const touch = (path: string): void => { if (!before.has(path)) before.set(path, rejectionKey(zone.rejections.get(path))); };
  const step = new ZoneStep(zone, change, touch);
  for (const path of delta.removed) step.detach(path);
  /** The records of the entries taken out, by data: a node whose data did not change (a service whose members did) is not parsed again. */
  const parsed = new Map<string, RegistryRecord | Error>();
  for (const node of delta.changed) {
    const old = step.detach(node.path);
    if (old && node.data === old.data) parsed.set(old.data, old.record);
    const read = readNode(node, zone.domain, parsed);
    if (!read) continue;
    if ('problem' in read) zone.rejections.set(node.path, { rejection: read.problem, data: node.data! });
    else step.attach(read.key, read.entry);
  }
  for (const [path, key] of before) {
    const now = zone.rejections.get(path);
    if (now && rejectionKey(now) !== key) change.rejected.push(now.rejection);
  }
  return change;
}

/** The in-place edits of one update, recording what they touched. */
class ZoneStep {
  readonly #zone: Zone;
  readonly #change: ZoneChange;
  readonly #touch: (path: string) => void;

  constructor(zone: Zone, change: ZoneChange, touch: (path: string) => void) {
    this.#zone = zone;
    this.#change = change;
    this.#touch = touch;
  }

  /** Takes the node at `path` out of the zone, wherever it was: held (the next spelling, if any, then holds), shadowed, or rejected by name. Returns the entry it held or shadowed. */
  detach(path: string): ZoneEntry | undefined {
    const zone = this.#zone;
    this.#touch(path);
    zone.rejections.delete(path);
    const key = pathToDomain(path).toLowerCase();
    if (!isSubdomain(key, zone.domain)) return undefined;
    const holder = zone.names.get(key);
    let taken: ZoneEntry | undefined;
    if (holder?.path === path) {
      taken = holder;
      this.#unindex(holder);
      zone.names.delete(key);
      const losers = zone.shadowed.get(key);
      if (losers) {
        let next = 0;
        for (let i = 1; i < losers.length; i++) if (holds(losers[i]!, losers[next]!)) next = i;
        const [promoted] = losers.splice(next, 1);
        if (losers.length === 0) zone.shadowed.delete(key);
        zone.names.set(key, promoted!);
        this.#index(promoted!);
      }
    } else {
      const losers = zone.shadowed.get(key);
      const at = losers?.findIndex((e) => e.path === path) ?? -1;
      if (at < 0) return undefined;
      [taken] = losers!.splice(at, 1);
      if (losers!.length === 0) zone.shadowed.delete(key);
    }
    this.#settle(key);
    return taken;
  }

  /** Puts a read entry in: it holds its name unless a spelling that `holds` over it does. */
  attach(key: string, entry: ZoneEntry): void {
    const zone = this.#zone;
    const holder = zone.names.get(key);
    let loser: ZoneEntry | undefined = entry;
    if (!holder) {
      zone.names.set(key, entry);
      this.#index(entry);
      loser = undefined;
    } else if (holds(entry, holder)) {
      this.#unindex(holder);
      zone.names.set(key, entry);
      this.#index(entry);
      loser = holder;
    }
    if (loser) {
      const losers = zone.shadowed.get(key);
      if (losers) losers.push(loser);
      else zone.shadowed.set(key, [loser]);
    }
    this.#settle(key);
  }

  /** The rejections of every spelling of `key`, after its holder may have changed. */
  #settle(key: string): void {
    const zone = this.#zone;
    this.#change.names.add(key);
    const holder = zone.names.get(key);
    if (!holder) return;
    this.#touch(holder.path);
    const rejection = recordRejection(holder);
    if (rejection) zone.rejections.set(holder.path, { rejection, data: holder.data });
    else zone.rejections.delete(holder.path);
    for (const e of zone.shadowed.get(key) ?? []) {
      this.#touch(e.path);
      zone.rejections.set(e.path, { rejection: shadowRejection(e, holder), data: e.data });
    }
  }

  #index(entry: ZoneEntry): void {
    const address = reverseAddress(entry);
    if (address === undefined) return;
    this.#change.addresses.add(address);
    const list = this.#zone.reverse.get(address);
    if (!list) { this.#zone.reverse.set(address, [entry.name]); return; }
    list.splice(sortedIndex(list, entry.name), 0, entry.name);
  }

  #unindex(entry: ZoneEntry): void {
    const address = reverseAddress(entry);
    if (address === undefined) return;
    this.#change.addresses.add(address);
    const list = this.#zone.reverse.get(address);
    if (!list) return;
    const at = sortedIndex(list, entry.name);
    if (list[at] === entry.name) list.splice(at, 1);
    if (list.length === 0) this.#zone.reverse.delete(address);
  }
}

/** Where `name` is or would go in a sorted list (binary search, default string order). */
function sortedIndex(list: readonly string[], name: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
