import { EventEmitter } from 'node:events';
import { parentPath } from './path.ts';
import type { TreeNode } from './snapshot.ts';

/** A node of the memory tree: `owner` is the session holding an ephemeral (compared by identity only). */
export interface MemoryNode extends TreeNode {
  owner: object | undefined;
}

/**
 * The tree a `MemoryRegistry` holds, with ZooKeeper's numbering (session ids,
 * sequence numbers, never reused) and one `change` event per write. Its
 * sessions and mirrors (store-memory.ts) work on it; users never see it: the
 * registry keeps it in a #private field.
 */
export class MemoryTree extends EventEmitter<{ change: [paths: string[]] }> {
  readonly #nodes = new Map<string, MemoryNode>([['/', { data: null, children: new Set(), owner: undefined }]]);
  readonly #sequences = new Map<string, number>();
  #sessions = 0;

  /** A new session id, hex like ZooKeeper's. */
  nextSessionId(): string {
    return `0x${(++this.#sessions).toString(16)}`;
  }

  /** The next sequence number for a child of `parent`. */
  nextSequence(parent: string): number {
    const next = this.#sequences.get(parent) ?? 0;
    this.#sequences.set(parent, next + 1);
    return next;
  }

  node(path: string): MemoryNode | undefined {
    return this.#nodes.get(path);
  }

  /** Every node, by path (for snapshots). */
  tree(): ReadonlyMap<string, TreeNode> {
    return this.#nodes;
  }

  /** Creates or overwrites one node; parents must exist. */
  write(path: string, data: string | null, owner: { readonly sessionId: string } | undefined): void {
    const existing = this.#nodes.get(path);
    if (existing) {
      existing.data = data;
    } else {
      const parent = this.#nodes.get(parentPath(path))!;
      parent.children.add(path.slice(path.lastIndexOf('/') + 1));
      this.#nodes.set(path, { data, children: new Set(), owner, session: owner?.sessionId });
    }
    this.emit('change', [path]);
  }

  /** Removes a leaf. */
  remove(path: string): void {
    this.#unlink(path);
    this.emit('change', [path]);
  }

  /** Removes every ephemeral of `owner` at once (one change event). */
  removeOwnedBy(owner: object): void {
    const gone: string[] = [];
    for (const [path, node] of this.#nodes) if (node.owner === owner) gone.push(path);
    for (const path of gone) this.#unlink(path);
    if (gone.length > 0) this.emit('change', gone);
  }

  #unlink(path: string): void {
    this.#nodes.delete(path);
    this.#nodes.get(parentPath(path))?.children.delete(path.slice(path.lastIndexOf('/') + 1));
  }
}
