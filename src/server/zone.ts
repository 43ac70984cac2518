import { isIP } from 'node:net';
import { compressIPv6, expandIPv6, isSubdomain } from '../dns/name.ts';
import { pathToDomain } from '../registry/path.ts';
import { parseRecord, type RegistryRecord } from '../registry/records.ts';
import type { Snapshot } from '../registry/store.ts';

/** A held name: its record (or why it could not be read) and its children's names. */
export interface ZoneEntry {
  name: string;
  record: RegistryRecord | Error;
  /** Child labels, sorted (instances of a service). */
  children: readonly string[];
}

/** What a server answers from: one snapshot, indexed by name and by address. */
export interface Zone {
  /** The domain served, normalized (e.g. `coal.joyent.us`). */
  domain: string;
  names: ReadonlyMap<string, ZoneEntry>;
  /** Address → names holding it, sorted: the PTR answers. */
  reverse: ReadonlyMap<string, readonly string[]>;
  /** Parsed records by their JSON text, reused by the next build. */
  parsed: ReadonlyMap<string, RegistryRecord | Error>;
}

/**
 * Indexes a snapshot of the domain's subtree. Nodes with null data
 * (intermediate nodes) are not held names. Parsing is reused from the
 * previous zone, so a change costs only the records that changed.
 */
export function buildZone(snapshot: Snapshot, domain: string, previous?: Zone): Zone {
  const names = new Map<string, ZoneEntry>();
  const reverse = new Map<string, string[]>();
  const parsed = new Map<string, RegistryRecord | Error>();
  for (const node of snapshot.values()) {
    if (node.data === null) continue;
    const name = pathToDomain(node.path);
    if (!isSubdomain(name, domain)) continue;
    let record = parsed.get(node.data) ?? previous?.parsed.get(node.data);
    if (record === undefined) {
      try {
        record = parseRecord(node.data);
      } catch (err) {
        record = err as Error;
      }
    }
    parsed.set(node.data, record);
    names.set(name, { name, record, children: node.children });
    if (!(record instanceof Error) && (record.kind === 'host' || record.kind === 'database') && record.address !== null) {
      const key = isIP(record.address) === 6 ? compressIPv6(expandIPv6(record.address)) : record.address;
      const list = reverse.get(key);
      if (list) list.push(name);
      else reverse.set(key, [name]);
    }
  }
  for (const list of reverse.values()) list.sort();
  return { domain, names, reverse, parsed };
}
