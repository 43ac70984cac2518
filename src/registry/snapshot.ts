import { childPath } from './path.ts';
import type { Snapshot, SnapshotNode } from './store.ts';

/** A mutable tree node, as the stores keep them. */
export interface TreeNode {
  data: string | null;
  children: Set<string>;
  /** The owning session of an ephemeral node, hex. */
  session?: string | undefined;
}

/** The immutable copy of one tree node (children sorted), leaving out the children whose paths are in `hidden`. */
export function freezeNode(path: string, node: TreeNode, hidden?: ReadonlySet<string>): SnapshotNode {
  let names = [...node.children];
  if (hidden && hidden.size > 0) names = names.filter((name) => !hidden.has(childPath(path, name)));
  const children = Object.freeze(names.sort());
  const copy: SnapshotNode = node.session === undefined
    ? { path, data: node.data, children }
    : { path, data: node.data, children, session: node.session };
  return Object.freeze(copy);
}

/** Copies the subtree at `root` of `tree` into an immutable snapshot (empty when `root` is absent). */
export function buildSnapshot(root: string, tree: ReadonlyMap<string, TreeNode>): Snapshot {
  const out = new Map<string, SnapshotNode>();
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const node = tree.get(path);
    if (!node) continue;
    const copy = freezeNode(path, node);
    out.set(path, copy);
    for (const name of copy.children) stack.push(childPath(path, name));
  }
  return out;
}
