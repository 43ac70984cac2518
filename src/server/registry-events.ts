import type { Logger } from '../log.ts';
import { childPath, parentPath, pathToDomain, parseRecord, type Mirror, type Snapshot, type SnapshotDelta, type SnapshotNode, type Store } from '../registry/index.ts';

/** One host node under a service node: what an operator needs to follow it in the logs. */
export interface ServiceInstance {
  service: string;
  instance: string;
  address: string | null;
}

export interface InstanceChanges {
  joined: ServiceInstance[];
  left: ServiceInstance[];
}

/** Service path → its instances by child name: what the log follows from step to step. */
export type KnownInstances = Map<string, Map<string, ServiceInstance>>;

/** The instances of every service node of a full copy. */
export function knownInstances(snapshot: Snapshot): KnownInstances {
  const known: KnownInstances = new Map();
  for (const node of snapshot.values()) {
    if (node.data === null || !isService(node.data)) continue;
    const service = pathToDomain(node.path);
    const instances = new Map<string, ServiceInstance>();
    for (const instance of node.children) {
      instances.set(instance, { service, instance, address: addressOf(snapshot.get(childPath(node.path, instance))?.data ?? null) });
    }
    known.set(node.path, instances);
  }
  return known;
}

/**
 * Which instances one mirror step made join or leave a service, updating
 * `known` in place: O(nodes changed). `node` reads the current state (an
 * instance's address when it joins).
 */
export function deltaInstanceChanges(known: KnownInstances, delta: SnapshotDelta, node: (path: string) => SnapshotNode | undefined): InstanceChanges {
  const out: InstanceChanges = { joined: [], left: [] };
  for (const path of delta.removed) {
    const gone = known.get(path);
    if (gone) { out.left.push(...gone.values()); known.delete(path); }
  }
  for (const n of delta.changed) {
    const old = known.get(n.path);
    if (n.data === null || !isService(n.data)) {
      if (old) { out.left.push(...old.values()); known.delete(n.path); }
      const member = known.get(parentPath(n.path))?.get(n.path.slice(n.path.lastIndexOf('/') + 1));
      if (member) member.address = addressOf(n.data);
      continue;
    }
    const service = pathToDomain(n.path);
    const next = new Map<string, ServiceInstance>();
    for (const instance of n.children) {
      const kept = old?.get(instance);
      if (kept) { next.set(instance, kept); continue; }
      const joined = { service, instance, address: addressOf(node(childPath(n.path, instance))?.data ?? null) };
      next.set(instance, joined);
      out.joined.push(joined);
    }
    for (const [instance, i] of old ?? []) if (!next.has(instance)) out.left.push(i);
    known.set(n.path, next);
  }
  return out;
}

/** What the log reads of a record: whether it is a service, and a host's address. */
interface Reading { service: boolean; address: string | null }

/**
 * Readings by data, so that each distinct record is parsed once: every
 * join and leave changes its service's node (its children), whose data is
 * the same each time, and a member's data is read on its join and on every
 * step it is in. Cleared when it holds MAX_READINGS (a few records' worth
 * of memory, however many the registry has).
 */
const readings = new Map<string, Reading>();
const MAX_READINGS = 1024;

function read(data: string): Reading {
  let r = readings.get(data);
  if (r !== undefined) return r;
  try {
    const rec = parseRecord(data);
    r = { service: rec.kind === 'service', address: rec.kind === 'host' || rec.kind === 'database' ? rec.address : null };
  } catch {
    r = { service: false, address: null };
  }
  if (readings.size >= MAX_READINGS) readings.clear();
  readings.set(data, r);
  return r;
}

function isService(data: string): boolean {
  return read(data).service;
}

function addressOf(data: string | null): string | null {
  return data === null ? null : read(data).address;
}

/**
 * Logs every state transition `herald serve` goes through, one line each:
 * session states, the first full sync, serving stale and current again, and
 * each instance joining or leaving a service (from each step's delta, so a
 * change costs the log O(change), never a pass over the zone).
 */
export function logServeEvents(store: Store, mirror: Mirror, log: Logger): void {
  let known: KnownInstances = new Map();
  let synced = mirror.snapshot !== undefined;
  store.on('state', (state) => {
    const level = state === 'disconnected' || state === 'expired' ? 'warn' : 'info';
    log[level]({ state }, `registry session ${state}`);
  });
  mirror.on('watches', (by) => log.info({ watches: by }, by === 'tree'
    ? 'following the registry by one persistent recursive watch'
    : 'following the registry by a watch per node (ZooKeeper before 3.6, or --one-shot-watches)'));
  mirror.on('error', (err) => log.warn({ err: { message: err.message } }, `registry read failed, will retry: ${err.message}`));
  mirror.on('stale', (since) => {
    // Before the first sync nothing is served yet (SERVFAIL), so nothing is stale.
    if (synced) log.warn({ staleSince: new Date(since).toISOString() }, `serving stale state since ${new Date(since).toISOString()}`);
  });
  mirror.on('current', () => {
    if (synced && mirror.snapshot) log.info({ nodes: mirror.snapshot.size }, 'registry resynced: serving current state');
  });
  mirror.once('synced', (snapshot) => {
    synced = true;
    known = knownInstances(snapshot);
    const services = known.size;
    let instances = 0;
    for (const i of known.values()) instances += i.size;
    log.info({ nodes: snapshot.size, services, instances }, `first full sync: ${snapshot.size} nodes, ${instances} instances in ${services} services`);
  });
  mirror.on('delta', (delta) => {
    const { joined, left } = deltaInstanceChanges(known, delta, (path) => mirror.node(path));
    for (const i of joined) log.info({ ...i, event: 'joined' }, `instance ${i.instance} joined ${i.service}${i.address ? ` (${i.address})` : ''}`);
    for (const i of left) log.info({ ...i, event: 'left' }, `instance ${i.instance} left ${i.service}${i.address ? ` (${i.address})` : ''}`);
  });
}
