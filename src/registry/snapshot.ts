import { childPath } from './path.ts';
import type { Snapshot, SnapshotNode } from './store.ts';

/** A mutable tree node, as the stores keep them. */
export interface TreeNode {
  data: string | null;
  children: Set<string>;
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
    out.set(path, Object.freeze({ path, data: node.data, children: Object.freeze(children) }));
    for (const name of children) stack.push(childPath(path, name));
  }
  return out;
}
