import { childPath, type Store } from '../registry/index.ts';

/** One znode as the operator commands read it. */
export interface TreeNode {
  path: string;
  data: string | null;
  ephemeral: boolean;
  /** The owning session of an ephemeral node, hex as zkCli shows `ephemeralOwner` (`NodeData.session`). */
  session?: string;
  children: string[];
}

/** A subtree read once: path → node. */
export type Tree = ReadonlyMap<string, TreeNode>;

/**
 * Reads the subtree at `root` level by level (one round trip per level, the
 * reads of a level in parallel). Nodes that vanish mid-read are left out;
 * `skip` lists paths not to descend into (`/zookeeper`, `/herald` from `/`).
 */
export async function readTree(store: Store, root: string, skip: readonly string[] = []): Promise<Tree> {
  const out = new Map<string, TreeNode>();
  let level = [root];
  while (level.length > 0) {
    const read = await Promise.all(level.map(async (path) => {
      const [node, children] = await Promise.all([store.get(path), store.children(path)]);
      return { path, node, children };
    }));
    const next: string[] = [];
    for (const { path, node, children } of read) {
      if (!node) continue;
      const entry: TreeNode = { path, data: node.data, ephemeral: node.ephemeral, children: children ?? [] };
      if (node.session !== undefined) entry.session = node.session;
      out.set(path, entry);
      for (const name of entry.children) {
        const child = childPath(path, name);
        if (!skip.includes(child)) next.push(child);
      }
    }
    level = next;
  }
  return out;
}
