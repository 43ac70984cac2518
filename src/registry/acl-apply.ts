import { ALL, DRAIN_ROOT, HERALD_ROOT, LEASE_ROOT, POLICY_PATH, READ, STATUS_ROOT, dirAcl, parsePolicy, type AclEntry, type AclPolicy } from './acl-policy.ts';
import { ancestors, domainToPath } from './path.ts';
import type { Store } from './store.ts';
import type { ZooKeeperStore } from './store-zookeeper.ts';

export type AclAction = 'created' | 'set' | 'unchanged';

/** One node `applyAcls` looked at, and what it did. */
export interface AclChange {
  path: string;
  action: AclAction;
}

function sameAcl(a: readonly AclEntry[], b: readonly AclEntry[]): boolean {
  const key = (l: readonly AclEntry[]): string => l.map((e) => `${e.scheme}:${e.id}=${e.perms}`).sort().join(',');
  return key(a) === key(b);
}

/** Admins own the /herald node and the policy node; everyone reads them. */
function adminOnly(policy: AclPolicy): AclEntry[] {
  return [{ perms: READ, scheme: 'world', id: 'anyone' }, ...policy.admins.map((id): AclEntry => ({ perms: ALL, scheme: 'digest', id }))];
}

/**
 * Sets up the /herald tree and the DNS paths of `zones` with the policy's
 * ACLs; running it again changes nothing (`unchanged`). The store must be
 * authenticated as one of `policy.admins` (or ZooKeeper's super user) and
 * hold ADMIN on nodes that exist already. ACLs are not inherited, so the
 * directories already under the roots and zones are set too; leaf nodes
 * (intents, statuses, service and host nodes) keep their creators' ACLs.
 */
export async function applyAcls(store: ZooKeeperStore, policy: AclPolicy, zones: readonly string[] = []): Promise<AclChange[]> {
  if (policy.admins.length === 0) throw new TypeError('applyAcls: the policy needs at least one admin');
  const changes: AclChange[] = [];
  const ensure = async (path: string, acl: AclEntry[], data: string | null = null): Promise<void> => {
    if (await store.createWithAcl(path, data, acl)) { changes.push({ path, action: 'created' }); return; }
    let action: AclAction = 'unchanged';
    if (data !== null && (await store.get(path))?.data !== data) { await store.putPersistent(path, data); action = 'set'; }
    const current = await store.getAcl(path);
    if (!current || !sameAcl(current, acl)) { await store.setAcl(path, acl); action = 'set'; }
    changes.push({ path, action });
  };
  await ensure(HERALD_ROOT, adminOnly(policy));
  await ensure(POLICY_PATH, adminOnly(policy), policyJson(policy));
  for (const root of [DRAIN_ROOT, STATUS_ROOT, LEASE_ROOT]) {
    await ensure(root, dirAcl(root, policy));
    for (const dir of await directoriesUnder(store, root)) await ensure(dir, dirAcl(dir, policy));
  }
  for (const zone of zones) {
    const top = domainToPath(zone);
    for (const dir of [...ancestors(top), top]) await ensure(dir, dirAcl(dir, policy));
    for (const dir of await directoriesUnder(store, top)) await ensure(dir, dirAcl(dir, policy));
  }
  return changes;
}

/**
 * The directories under `root`: persistent nodes with null data (what
 * mkdir -p makes). Service nodes, intents and statuses hold data; host and
 * lease nodes are ephemeral.
 */
async function directoriesUnder(store: Store, root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    for (const child of (await store.children(path)) ?? []) {
      const childPath = `${path}/${child}`;
      const node = await store.get(childPath);
      if (!node || node.ephemeral || node.data !== null) continue;
      out.push(childPath);
      await walk(childPath);
    }
  };
  await walk(root);
  return out.sort();
}

export function policyJson(policy: AclPolicy): string {
  const sorted = (l: string[]): string[] => [...new Set(l)].sort();
  return JSON.stringify({ admins: sorted(policy.admins), operators: sorted(policy.operators), sidecars: sorted(policy.sidecars), leaseWorkers: sorted(policy.leaseWorkers) });
}

/** The policy in force, or undefined when `herald acl apply` has not run (the registry is open). */
export async function readPolicy(store: Store): Promise<AclPolicy | undefined> {
  return parsePolicy((await store.get(POLICY_PATH))?.data ?? null);
}

/** One line for `herald status` when anyone who reaches the registry may write to it; undefined when it is closed. */
export async function openRegistryWarning(store: Store, connect: string): Promise<string | undefined> {
  if (connect.startsWith('memory://')) {
    return /^memory:\/\/[^@/]+@/.test(connect) ? undefined : 'the memory registry takes writes from anyone who reaches it (no --registry-token)';
  }
  if (await readPolicy(store)) return undefined;
  return 'the registry is open: any client that reaches ZooKeeper can drain instances or change DNS (run \'herald acl apply\')';
}
