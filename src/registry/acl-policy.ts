import { isUnder } from './path.ts';

// ZooKeeper's permission bits (ZooDefs.Perms).
export const READ = 1;
export const WRITE = 2;
export const CREATE = 4;
export const DELETE = 8;
export const ADMIN = 16;
export const ALL = 31;

/** One ACL entry: `world:anyone` or `digest:user:base64(sha1(user:password))`. */
export interface AclEntry {
  perms: number;
  scheme: 'world' | 'digest';
  id: string;
}

/** Who is who, as digest ids (`user:hash`). Written by `herald acl apply` to POLICY_PATH. */
export interface AclPolicy {
  admins: string[];
  operators: string[];
  sidecars: string[];
  leaseWorkers: string[];
}

export const HERALD_ROOT = '/herald';
/** The policy node: readable by all (sidecars read it), writable by admins. */
export const POLICY_PATH = '/herald/acl';
// The same paths as src/sidecar/drain-intent.ts and src/lease/path.ts (the registry imports neither).
export const DRAIN_ROOT = '/herald/drain';
export const STATUS_ROOT = '/herald/status';
export const LEASE_ROOT = '/herald/lease';

/** What a store is creating: an intermediate node (mkdir -p), or the node asked for. */
export type NodeKind = 'dir' | 'persistent' | 'ephemeral';

type Role = 'operators' | 'sidecars' | 'leaseWorkers';

interface Rule {
  /** The role that creates (and, for drain intents, deletes) nodes here; undefined: admins only. */
  role: Role | undefined;
  /** What the role may do on a directory: CREATE lets it add children, DELETE remove any child. */
  dirPerms: number;
  /** What the role may do on the node asked for; 0: only its creator may touch it. */
  rolePerms: number;
  /** What the creator may do on the node asked for. */
  creatorPerms: number;
}

/**
 * The tree policy. ZooKeeper checks CREATE and DELETE on the parent and
 * READ/WRITE/ADMIN on the node itself, and ACLs are not inherited, so:
 * a node can be deleted by whoever holds DELETE on its parent. Hence no role
 * holds DELETE on a directory whose children belong to single identities
 * (host nodes excepted: a service node's creator may remove its leftovers).
 */
function ruleFor(path: string): Rule {
  if (isUnder(path, DRAIN_ROOT)) return { role: 'operators', dirPerms: READ | CREATE | DELETE, rolePerms: READ | WRITE | CREATE | DELETE, creatorPerms: 0 };
  if (isUnder(path, STATUS_ROOT)) return { role: 'sidecars', dirPerms: READ | CREATE, rolePerms: 0, creatorPerms: READ | WRITE };
  if (isUnder(path, LEASE_ROOT)) return { role: 'leaseWorkers', dirPerms: READ | CREATE, rolePerms: 0, creatorPerms: READ | WRITE };
  if (isUnder(path, HERALD_ROOT)) return { role: undefined, dirPerms: READ, rolePerms: 0, creatorPerms: READ };
  // The DNS subtree: sidecars add services; a service node is its registering identity's.
  return { role: 'sidecars', dirPerms: READ | CREATE, rolePerms: 0, creatorPerms: READ | WRITE | CREATE | DELETE };
}

/**
 * The ACL for a node a store creates, given the policy (undefined when
 * `herald acl apply` has not run) and the creating identity's digest id.
 * Every node is world-readable: binder and `herald serve` read anonymously,
 * and nothing Herald stores is secret.
 */
export function aclFor(path: string, kind: NodeKind, policy: AclPolicy | undefined, self: string): AclEntry[] {
  const rule = ruleFor(path);
  // An ephemeral node has no children: creating or deleting under it means nothing.
  const creatorPerms = kind === 'ephemeral' ? rule.creatorPerms & (READ | WRITE) : rule.creatorPerms;
  const grants = new Map<string, number>();
  const grant = (id: string, perms: number): void => { if (perms) grants.set(id, (grants.get(id) ?? 0) | perms); };
  for (const admin of policy?.admins ?? []) grant(admin, ALL);
  const members = rule.role && policy ? policy[rule.role] : [];
  const rolePerms = kind === 'dir' ? rule.dirPerms : rule.rolePerms;
  for (const id of members) grant(id, rolePerms);
  // No policy yet: the creator stands in for its role (and for the admin on /herald itself).
  if (!policy) grant(self, kind === 'dir' ? rule.dirPerms | (rule.role ? 0 : CREATE) : creatorPerms | rule.rolePerms);
  else if (kind !== 'dir') grant(self, creatorPerms);
  return [{ perms: READ, scheme: 'world', id: 'anyone' }, ...[...grants].map(([id, perms]): AclEntry => ({ perms: perms | READ, scheme: 'digest', id }))];
}

/** The ACL `herald acl apply` sets on a directory it owns (the /herald roots, a zone's path). */
export function dirAcl(path: string, policy: AclPolicy): AclEntry[] {
  return aclFor(path, 'dir', policy, '');
}

/** Reads the policy node's JSON; undefined when it is not a policy. */
export function parsePolicy(data: string | null): AclPolicy | undefined {
  if (data === null) return undefined;
  let json: unknown;
  try { json = JSON.parse(data); } catch { return undefined; }
  if (typeof json !== 'object' || json === null) return undefined;
  const list = (key: string): string[] => {
    const v = (json as Record<string, unknown>)[key];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  };
  return { admins: list('admins'), operators: list('operators'), sidecars: list('sidecars'), leaseWorkers: list('leaseWorkers') };
}

const PERM_LETTERS: [number, string][] = [[READ, 'r'], [WRITE, 'w'], [CREATE, 'c'], [DELETE, 'd'], [ADMIN, 'a']];

/** `rwcda` as zkCli prints them. */
export function permString(perms: number): string {
  return PERM_LETTERS.filter(([bit]) => perms & bit).map(([, c]) => c).join('');
}
