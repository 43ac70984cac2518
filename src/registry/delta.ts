import { freezeNode, type TreeNode } from './snapshot.ts';
import type { Snapshot, SnapshotDelta, SnapshotNode } from './store.ts';

/** True when two nodes hold the same data, owner and children. */
export function sameNode(a: SnapshotNode, b: SnapshotNode): boolean {
  if (a.data !== b.data || a.session !== b.session || a.children.length !== b.children.length) return false;
  for (let i = 0; i < a.children.length; i++) if (a.children[i] !== b.children[i]) return false;
  return true;
}

/** What turns `before` into `after`: O(both), for when only whole copies are known (a reconnect's full push). */
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDelta {
  const changed: SnapshotNode[] = [];
  const removed: string[] = [];
  for (const [path, node] of after) {
    const old = before.get(path);
    if (!old || !sameNode(old, node)) changed.push(node);
  }
  for (const path of before.keys()) if (!after.has(path)) removed.push(path);
  return { changed, removed };
}

/**
 * The current state of the `paths` a store touched: each one's node as it is
 * in `tree` now, or removed when it is no longer there. O(paths touched),
 * whatever the size of the tree. `tree` holds only the mirrored subtree.
 * Nodes in `hidden` (not read yet) are not part of it: leave them out of
 * `paths`; they are left out of their parents' children too, so the state
 * published is the one before they were created.
 */
export function treeDelta(tree: ReadonlyMap<string, TreeNode>, paths: Iterable<string>, hidden?: ReadonlySet<string>): SnapshotDelta {
  const changed: SnapshotNode[] = [];
  const removed: string[] = [];
  for (const path of paths) {
    const node = tree.get(path);
    if (node) changed.push(freezeNode(path, node, hidden));
    else removed.push(path);
  }
  return { changed, removed };
}

/**
 * Applies `delta` to `nodes` in place and returns what really changed: a
 * node equal to the one held and the removal of a path not held are left
 * out, so consumers never see a step that changes nothing.
 */
export function applySnapshotDelta(nodes: Map<string, SnapshotNode>, delta: SnapshotDelta): SnapshotDelta {
  const changed: SnapshotNode[] = [];
  const removed: string[] = [];
  for (const path of delta.removed) if (nodes.delete(path)) removed.push(path);
  for (const node of delta.changed) {
    const old = nodes.get(node.path);
    if (old && sameNode(old, node)) continue;
    nodes.set(node.path, node);
    changed.push(node);
  }
  return { changed, removed };
}
