import type { EventEmitter } from 'node:events';

/**
 * A store's session with its registry. `connected`: reads and writes work and
 * ephemeral nodes live. `disconnected`: the session may still be alive (the
 * client is reconnecting); ephemerals may survive. `expired`: the session is
 * gone with all its ephemeral nodes; a new session follows (`connected`).
 * `closed`: `close()` was called; nothing follows.
 */
export type SessionState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'closed';

/** One znode as read: its data (UTF-8 text, null when empty) and whether this session owns it as an ephemeral. */
export interface NodeData {
  data: string | null;
  ephemeral: boolean;
  /** True when the node is an ephemeral of this store's current session. */
  ownedByMe: boolean;
  /**
   * The owning session of an ephemeral node, in hex as zkCli shows its
   * `ephemeralOwner` (`0x1000a3c5e2b0003`); memory sessions have ids of their
   * own. Absent for persistent nodes.
   */
  session?: string;
}

/** An immutable node of a mirrored subtree. */
export interface SnapshotNode {
  readonly path: string;
  readonly data: string | null;
  /** Child names (not paths), sorted. */
  readonly children: readonly string[];
  /** The owning session of an ephemeral node (see `NodeData.session`); absent for persistent nodes. */
  readonly session?: string;
}

/** An immutable, consistent copy of a subtree: path → node. Replaced whole on change. */
export type Snapshot = ReadonlyMap<string, SnapshotNode>;

/**
 * What one published step changed: every node added or changed (its new
 * state) and every path removed, each path once. Applied to the previous
 * state it gives the new one exactly (`applySnapshotDelta`).
 */
export interface SnapshotDelta {
  readonly changed: readonly SnapshotNode[];
  readonly removed: readonly string[];
}

export interface MirrorEvents {
  /** The first complete copy of the subtree is ready. */
  synced: [snapshot: Snapshot];
  /**
   * What changed, at every step after the first sync that changed anything
   * (a burst of registry writes is one step). A consumer that can follow
   * deltas should: it never pays for a copy of the whole subtree.
   */
  delta: [delta: SnapshotDelta];
  /**
   * A new snapshot replaced the previous one, right after `delta`. The copy
   * is made only when someone listens (or reads `snapshot`), O(subtree) each
   * time: fine for small subtrees, not for a server's zone.
   */
  change: [snapshot: Snapshot];
  /** Reading the registry failed; the mirror retries and keeps the last snapshot. Optional: unheard errors are not thrown. */
  error: [err: Error];
  /** The session left `connected`: the snapshot may be out of date from `since` (`Date.now()` ms) on. */
  stale: [since: number];
  /** Current again after `stale`: the subtree was re-read (a snapshot follows only if something changed). */
  current: [];
  /**
   * ZooKeeper only, when how the subtree is watched changes (and the first
   * time): `tree`, one persistent recursive watch (ZooKeeper 3.6+); `node`,
   * a data and a child watch per node.
   */
  watches: [by: 'tree' | 'node'];
}

/**
 * The read side: an in-memory copy of one subtree, kept current by watches.
 * Until the first full sync `snapshot` is undefined (a server answers
 * SERVFAIL then, never an empty answer).
 */
export interface Mirror extends EventEmitter<MirrorEvents> {
  readonly root: string;
  /** The current state as an immutable copy, made on first access after each change. */
  readonly snapshot: Snapshot | undefined;
  /** One node of the current state, without a copy of the whole; undefined when absent or before the first sync. */
  node(path: string): SnapshotNode | undefined;
  /**
   * When the mirror stopped being known current (the session left
   * `connected`), in `Date.now()` ms; undefined while current.
   */
  readonly staleSince: number | undefined;
  /** Resolves with the first full snapshot; rejects after `timeoutMs`. */
  synced(timeoutMs?: number): Promise<Snapshot>;
  close(): void;
}

export interface StoreEvents {
  /** Every state change, including the ones below. */
  state: [state: SessionState];
  connected: [];
  disconnected: [];
  /** The session and every ephemeral node it owned are gone; a new session is being opened. */
  expired: [];
}

/**
 * A session with a registry (ZooKeeper or in-memory) — the write side for a
 * sidecar and the read side for a server. Paths are absolute znode paths
 * (see `domainToPath`). Every method rejects with a `HeraldError`
 * (`HERALD_REGISTRY_UNAVAILABLE`, `HERALD_REGISTRY_CLOSED`, ...).
 */
export interface Store extends EventEmitter<StoreEvents> {
  readonly state: SessionState;
  /** Resolves once the session is connected; rejects after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** The node, or undefined when it does not exist. */
  get(path: string): Promise<NodeData | undefined>;
  /** Child names, sorted; undefined when the node does not exist. */
  children(path: string): Promise<string[] | undefined>;
  /** Creates or overwrites a persistent node, creating missing parents (persistent, null data). */
  putPersistent(path: string, data: string | null): Promise<void>;
  /**
   * Creates an ephemeral node owned by this session (missing parents are
   * created persistent), or updates its data when this session already owns
   * it. Rejects with `NodeOwnedError` when another session owns it, and
   * `NodeConflictError` when a persistent node is in the way.
   */
  putEphemeral(path: string, data: string | null): Promise<void>;
  /** Deletes a node that has no children; resolves false when it was absent. */
  delete(path: string): Promise<boolean>;
  /**
   * Creates an EPHEMERAL node owned by this session at `prefix` followed by a
   * 10-digit sequence number that increases with every child created under
   * the parent (ZooKeeper's ephemeral-sequential mode); missing parents are
   * created persistent. Resolves with the path created. For queues and leases.
   */
  createSequential(prefix: string, data: string | null): Promise<string>;
  /**
   * Resolves once `path` does not exist (at once when it is absent now). The
   * watch survives a disconnection; it rejects with
   * `RegistryUnavailableError` when the session expires or the store closes
   * first (watches end with their session), and with `signal.reason` on abort.
   */
  watchGone(path: string, signal?: AbortSignal): Promise<void>;
  /**
   * The session timeout in ms: for ZooKeeper the value negotiated with the
   * server once connected (the one asked for before); `Infinity` where
   * sessions never time out (memory). Leases derive their safety window from it.
   */
  readonly sessionTimeoutMs: number;
  /** A mirror of the subtree at `root` (the root need not exist yet). */
  mirror(root: string): Mirror;
  /** Ends the session: this session's ephemeral nodes vanish at once. */
  close(): Promise<void>;
}
