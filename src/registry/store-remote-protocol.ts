import type { SnapshotNode } from './store.ts';

/**
 * The line protocol between `RemoteStore` and `MemoryRegistryServer`: one
 * JSON object per line each way. One TCP connection is one session.
 */
export type RemoteRequest =
  | { id: number; op: 'get' | 'children' | 'delete' | 'watchGone'; path: string }
  | { id: number; op: 'putPersistent' | 'putEphemeral' | 'createSequential'; path: string; data: string | null }
  | { id: number; op: 'mirror'; path: string }
  | { id: number; op: 'unmirror'; path: string }
  /** The first line when the server has a token (`--registry-token`): `user:password`, compared whole. */
  | { id: 0; op: 'hello'; token: string };

export type RemoteMessage =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; code: string; message: string; path?: string }
  /** A mirror's whole copy: its first sync (and the first again after every reconnect, as a new session's mirror). */
  | { mirror: string; nodes: SnapshotNode[] }
  /** Each later step of that mirror: only what changed. */
  | { mirror: string; changed: SnapshotNode[]; removed: string[] };
