import { childPath } from './path.ts';
import type { Snapshot, SnapshotNode } from './store.ts';

/** A mutable tree node, as the stores keep them. */
export interface TreeNode {
  data: string | null;
  children: Set<string>;
  /** The owning session of an ephemeral node, hex. */
  session?: string | undefined;
}

/** Copies the subtree at `root` of `tree` into an immutable snapshot (empty when `root` is absent). */
export function buildSnapshot(root: string, tree: ReadonlyMap<string, TreeNode>): Snapshot {
  const out = new Map<string, SnapshotNode>();
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const node = tree.get(path);
    if (!node) continue;
    const children = [...node.children].sort();
    const copy: SnapshotNode = node.session === undefined
      ? { path, data: node.data, children: Object.freeze(children) }
      : { path, data: node.data, children: Object.freeze(children), session: node.session };
    out.set(path, Object.freeze(copy));
    for (const name of children) stack.push(childPath(path, name));
  }
  return out;
}
