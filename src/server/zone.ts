import { isIP } from 'node:net';
import { compressIPv6, expandIPv6, isSubdomain } from '../dns/index.ts';
import { pathToDomain, parseRecord, type RegistryRecord, nameProblem, recordRejectReason, type Rejection, type Snapshot } from '../registry/index.ts';

/** A held name: its record (or why it could not be read) and its children's names. */
export interface ZoneEntry {
  /** The name in the node's own spelling (answers use it; lookups are by lower case). */
  name: string;
  record: RegistryRecord | Error;
  /** Child labels as the nodes spell them, sorted (instances of a service). */
  children: readonly string[];
}

/** What a server answers from: one snapshot, indexed by name and by address. */
export interface Zone {
  /** The domain served, normalized (e.g. `coal.joyent.us`). */
  domain: string;
  /** Lower-cased name → entry. */
  names: ReadonlyMap<string, ZoneEntry>;
  /** Address → names holding it (own spelling), sorted: the PTR answers. */
  reverse: ReadonlyMap<string, readonly string[]>;
  /** Parsed records by their JSON text, reused by the next build. */
  parsed: ReadonlyMap<string, RegistryRecord | Error>;
  /** Nodes skipped or answered SERVFAIL because they cannot be served, in path order. */
  rejected: readonly Rejection[];
}

/**
 * Indexes a snapshot of the domain's subtree: the one place records enter
 * the server, so the one place they are checked. A node whose name DNS
 * cannot carry is not held (a service answers without it); a record that
 * does not parse is held as its error (SERVFAIL for that name, skipped as a
 * member). Both are listed in `rejected`. Nodes with null data
 * (intermediate nodes) are not held names. Parsing is reused from the
 * previous zone, so a change costs only the records that changed.
 */
export function buildZone(snapshot: Snapshot, domain: string, previous?: Zone): Zone {
  const names = new Map<string, ZoneEntry>();
  const reverse = new Map<string, string[]>();
  const parsed = new Map<string, RegistryRecord | Error>();
  const rejected: Rejection[] = [];
  for (const node of snapshot.values()) {
    if (node.data === null) continue;
    const name = pathToDomain(node.path);
    const key = name.toLowerCase();
    if (!isSubdomain(key, domain)) continue;
    const problem = nameProblem(name);
    if (problem !== undefined) { rejected.push({ path: node.path, name, reason: 'name', message: problem }); continue; }
    const other = names.get(key);
    if (other) { rejected.push({ path: node.path, name, reason: 'name', message: `same name as ${other.name} in another case` }); continue; }
    let record = parsed.get(node.data) ?? previous?.parsed.get(node.data);
    if (record === undefined) {
      try {
        record = parseRecord(node.data);
      } catch (err) {
        record = err as Error;
      }
    }
    parsed.set(node.data, record);
    if (record instanceof Error) rejected.push({ path: node.path, name, reason: recordRejectReason(record), message: record.message });
    names.set(key, { name, record, children: node.children });
    if (!(record instanceof Error) && (record.kind === 'host' || record.kind === 'database') && record.address !== null) {
      const address = isIP(record.address) === 6 ? compressIPv6(expandIPv6(record.address)) : record.address;
      const list = reverse.get(address);
      if (list) list.push(name);
      else reverse.set(address, [name]);
    }
  }
  for (const list of reverse.values()) list.sort();
  rejected.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { domain, names, reverse, parsed, rejected };
}
