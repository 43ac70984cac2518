import { isIP } from 'node:net';
import { compressIPv6, expandIPv6, isSubdomain } from '../dns/index.ts';
// The registry's pure leaves, not its index: this runs in every UDP worker thread, which must not load the ZooKeeper client.
import { pathToDomain } from '../registry/path.ts';
import { parseRecord, type RegistryRecord } from '../registry/records.ts';
import { nameProblem, recordRejectReason, type Rejection } from '../registry/rejection.ts';
import type { Snapshot, SnapshotNode } from '../registry/index.ts';

/** A held name: its record (or why it could not be read) and its children's names. */
export interface ZoneEntry {
  /** The name in the node's own spelling (answers use it; lookups are by lower case). */
  name: string;
  record: RegistryRecord | Error;
  /** Child labels as the nodes spell them, sorted (instances of a service). */
  children: readonly string[];
  /** The node it was read from. */
  path: string;
  /** The node's data as read. */
  data: string;
}

/** A node that cannot be served, with the data it held then (a rejection is reported once per node and content). */
export interface RejectedNode {
  rejection: Rejection;
  data: string;
}

/**
 * What a server answers from, indexed by name and by address. Built whole
 * by `buildZone` and changed in place by `updateZone` (zone-update.ts), the
 * only two writers; answers only read it.
 */
export interface Zone {
  /** The domain served, normalized (e.g. `coal.joyent.us`). */
  domain: string;
  /** Lower-cased name → entry. */
  names: Map<string, ZoneEntry>;
  /** Address → names holding it (own spelling), sorted: the PTR answers. */
  reverse: Map<string, string[]>;
  /** Path → the node skipped or answered SERVFAIL because it cannot be served. */
  rejections: Map<string, RejectedNode>;
  /**
   * Lower-cased name → the nodes that spell a held name in another case and
   * lost it (the greatest path holds, see `holds`): not held, and held again
   * when the holder goes.
   */
  shadowed: Map<string, ZoneEntry[]>;
}

/** How one node enters a zone: not at all, as a name DNS cannot carry, or as an entry (held unless another case spelling holds). */
export type NodeReading = undefined | { key: string; problem: Rejection } | { key: string; entry: ZoneEntry };

/**
 * Reads one node of the domain's subtree: the one place records enter the
 * server, so the one place they are checked. Nodes with null data
 * (intermediate nodes) and nodes outside the domain are not names.
 * `parsed` reuses the parse of identical data within one build.
 */
export function readNode(node: SnapshotNode, domain: string, parsed?: Map<string, RegistryRecord | Error>): NodeReading {
  if (node.data === null) return undefined;
  const name = pathToDomain(node.path);
  const key = name.toLowerCase();
  if (!isSubdomain(key, domain)) return undefined;
  const problem = nameProblem(name);
  if (problem !== undefined) return { key, problem: { path: node.path, name, reason: 'name', message: problem } };
  let record = parsed?.get(node.data);
  if (record === undefined) {
    try {
      record = parseRecord(node.data);
    } catch (err) {
      record = err as Error;
    }
    parsed?.set(node.data, record);
  }
  return { key, entry: { name, record, children: node.children, path: node.path, data: node.data } };
}

/** Of two nodes spelling one name in different cases, the one that holds it: the greater path (a lower-case spelling beats an upper-case one). */
export function holds(a: ZoneEntry, b: ZoneEntry): boolean {
  return a.path > b.path;
}

/** Why a held entry is answered SERVFAIL (its record does not parse), or undefined. */
export function recordRejection(entry: ZoneEntry): Rejection | undefined {
  const r = entry.record;
  return r instanceof Error ? { path: entry.path, name: entry.name, reason: recordRejectReason(r), message: r.message } : undefined;
}

/** The rejection of a node that lost its name to `holder`. */
export function shadowRejection(entry: ZoneEntry, holder: ZoneEntry): Rejection {
  return { path: entry.path, name: entry.name, reason: 'name', message: `same name as ${holder.name} in another case` };
}

/** The address an entry puts in the reverse index (IPv6 in its compressed form), or undefined. */
export function reverseAddress(entry: ZoneEntry): string | undefined {
  const r = entry.record;
  if (r instanceof Error || (r.kind !== 'host' && r.kind !== 'database') || r.address === null) return undefined;
  return isIP(r.address) === 6 ? compressIPv6(expandIPv6(r.address)) : r.address;
}

/**
 * Indexes a whole snapshot of the domain's subtree (the first sync): a node
 * whose name DNS cannot carry is not held (a service answers without it); a
 * record that does not parse is held as its error (SERVFAIL for that name,
 * skipped as a member). Both are in `rejections`. Later changes go through
 * `updateZone`, which reaches the same zone.
 */
export function buildZone(snapshot: Snapshot, domain: string): Zone {
  const zone: Zone = { domain, names: new Map(), reverse: new Map(), rejections: new Map(), shadowed: new Map() };
  const parsed = new Map<string, RegistryRecord | Error>();
  for (const node of snapshot.values()) {
    const read = readNode(node, domain, parsed);
    if (!read) continue;
    if ('problem' in read) { zone.rejections.set(node.path, { rejection: read.problem, data: node.data! }); continue; }
    const other = zone.names.get(read.key);
    let loser = read.entry;
    if (!other) { zone.names.set(read.key, read.entry); continue; }
    if (holds(read.entry, other)) { zone.names.set(read.key, read.entry); loser = other; }
    const list = zone.shadowed.get(read.key);
    if (list) list.push(loser);
    else zone.shadowed.set(read.key, [loser]);
  }
  for (const [key, losers] of zone.shadowed) {
    const holder = zone.names.get(key)!;
    for (const e of losers) zone.rejections.set(e.path, { rejection: shadowRejection(e, holder), data: e.data });
  }
  for (const entry of zone.names.values()) {
    const rejection = recordRejection(entry);
    if (rejection) zone.rejections.set(entry.path, { rejection, data: entry.data });
    const address = reverseAddress(entry);
    if (address === undefined) continue;
    const list = zone.reverse.get(address);
    if (list) list.push(entry.name);
    else zone.reverse.set(address, [entry.name]);
  }
  for (const list of zone.reverse.values()) list.sort();
  return zone;
}

/** The identity of a rejection for counting: the same node with the same reason and content is one rejection. */
export function rejectionKey(r: RejectedNode | undefined): string | undefined {
  return r && `${r.rejection.reason}\n${r.data}`;
}

/** The rejections of `after` that `before` did not have (a new node, or new content): each is counted and reported once. */
export function newRejections(before: Zone | undefined, after: Zone): Rejection[] {
  const out: Rejection[] = [];
  for (const [path, r] of after.rejections) {
    if (rejectionKey(before?.rejections.get(path)) !== rejectionKey(r)) out.push(r.rejection);
  }
  return out;
}

/** The zone's rejected nodes in path order. */
export function rejectedList(zone: Zone): Rejection[] {
  return [...zone.rejections.values()].map((r) => r.rejection).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
