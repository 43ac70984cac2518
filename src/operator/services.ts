import { normalizeName } from '../dns/index.ts';
import { parseRecord, type HostRecord, type RegistryRecord, type ServiceRecord, childPath, hostTtl, serviceTtl, targetTtl } from '../registry/index.ts';
import { DRAIN_ROOT, STATUS_ROOT, parseIntent, parseStatus, type DrainIntent, type SidecarStatus } from '../drain/index.ts';
import type { Tree, TreeNode } from './tree.ts';
import type { RegistryView } from './view.ts';

/** A TTL and the field it came from (BINDER.md §2). */
export interface TtlSource {
  ttl: number;
  from: string;
}

/** One instance of a service, as the registry holds it: host node, sidecar status, drain intent. */
export interface InstanceInfo {
  instance: string;
  /** `<instance>.<service domain>` */
  name: string;
  /** The host node, when it exists. */
  node?: { path: string; ephemeral: boolean; session?: string; data: string | null };
  /** Its record, or why it could not be read. */
  record?: RegistryRecord;
  /** Why its record cannot be served (a DNS server skips the node: `rejected`). */
  recordError?: string;
  /** Why its name cannot be served (a label over 63 bytes, odd bytes...). */
  nameError?: string;
  address: string | null;
  ports: number[];
  /** TTL of the instance's own A answer, and of its SRV target A. */
  aTtl?: TtlSource;
  targetTtl?: TtlSource;
  status?: SidecarStatus;
  intent?: DrainIntent;
}

export interface ServiceInfo {
  domain: string;
  path: string;
  /** Undefined for a node that only groups host records (no SRV). */
  record?: ServiceRecord;
  recordError?: string;
  /** `_srvce._proto.<domain>` */
  srvName?: string;
  srvTtl?: TtlSource;
  instances: InstanceInfo[];
}

function parse(node: TreeNode): { record?: RegistryRecord; error?: string } {
  if (node.data === null) return {};
  try {
    return { record: parseRecord(node.data) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const pathToName = (path: string): string => (path === '/' ? '' : path.slice(1).split('/').reverse().join('.'));

/**
 * Where the SRV TTL comes from. `flat`: the record has the SRV fields
 * directly under `service` (binder's flat shape), so its inner ttl is `service.ttl`.
 */
export function serviceTtlSource(s: ServiceRecord, flat = false): TtlSource {
  if (s.srvTtl !== undefined) return { ttl: s.srvTtl, from: flat ? 'service.ttl' : 'service.service.ttl' };
  if (s.serviceTtl !== undefined) return { ttl: s.serviceTtl, from: 'service.ttl' };
  if (s.ttl !== undefined) return { ttl: s.ttl, from: 'ttl' };
  return { ttl: serviceTtl(s), from: 'default' };
}

export function hostTtlSource(h: HostRecord): TtlSource {
  if (h.typeTtl !== undefined) return { ttl: h.typeTtl, from: `${h.type}.ttl` };
  if (h.ttl !== undefined) return { ttl: h.ttl, from: 'ttl' };
  return { ttl: hostTtl(h), from: 'default' };
}

export function targetTtlSource(h: HostRecord, s: ServiceRecord): TtlSource {
  if (h.typeTtl !== undefined || h.ttl !== undefined) return hostTtlSource(h);
  return { ttl: targetTtl(h, s), from: `service (${serviceTtlSource(s).from})` };
}

function childrenOf(tree: Tree, path: string): string[] {
  return tree.get(path)?.children ?? [];
}

/** Status/intent nodes are leaves under the service's path in Herald's subtrees. */
function leaves(tree: Tree, root: string, servicePath: string): Map<string, string | null> {
  const base = root + servicePath;
  const out = new Map<string, string | null>();
  for (const name of childrenOf(tree, base)) {
    const node = tree.get(childPath(base, name));
    if (node && node.children.length === 0) out.set(name, node.data);
  }
  return out;
}

function instanceInfo(view: RegistryView, service: ServiceInfo, instance: string): InstanceInfo {
  const name = `${instance}.${service.domain}`;
  const info: InstanceInfo = { instance, name, address: null, ports: [] };
  try {
    normalizeName(name);
  } catch (err) {
    info.nameError = (err as Error).message;
  }
  const node = view.dns.get(childPath(service.path, instance));
  if (node) {
    info.node = { path: node.path, ephemeral: node.ephemeral, data: node.data };
    if (node.session !== undefined) info.node.session = node.session;
    const { record, error } = parse(node);
    if (record) info.record = record;
    if (error) info.recordError = error;
    if (record?.kind === 'host') {
      info.address = record.address;
      info.ports = record.ports && record.ports.length > 0 ? record.ports : service.record ? [service.record.port] : [];
      info.aTtl = hostTtlSource(record);
      if (service.record) info.targetTtl = targetTtlSource(record, service.record);
    }
  }
  const status = parseStatus(leaves(view.status, STATUS_ROOT, service.path).get(instance) ?? null);
  if (status) info.status = status;
  const intents = leaves(view.drain, DRAIN_ROOT, service.path);
  // The default deadline is the sidecar's; shown only when the intent names none.
  if (intents.has(instance)) info.intent = parseIntent(intents.get(instance) ?? null, 0);
  return info;
}

/**
 * Every service under the view's domain, sorted by name: nodes with a
 * service record, and nodes that hold host records (a registration without
 * a service). Instances are the host children, plus those only Herald's
 * subtrees know of (drained, or registered by no one right now).
 */
export function collectServices(view: RegistryView): ServiceInfo[] {
  const out: ServiceInfo[] = [];
  for (const node of view.dns.values()) {
    const { record, error } = parse(node);
    // Host children, and leaves whose record cannot be served at all (shown as `rejected`).
    const hostChildren = node.children.filter((c) => {
      const child = view.dns.get(childPath(node.path, c));
      if (child === undefined || child.children.length > 0) return false;
      const parsed = parse(child);
      return parsed.record?.kind === 'host' || parsed.error !== undefined;
    });
    const sidecarKnown = [...leaves(view.status, STATUS_ROOT, node.path).keys(), ...leaves(view.drain, DRAIN_ROOT, node.path).keys()];
    if (record?.kind !== 'service' && hostChildren.length === 0 && (sidecarKnown.length === 0 || record !== undefined)) continue;
    const service: ServiceInfo = { domain: pathToName(node.path), path: node.path, instances: [] };
    if (record?.kind === 'service') {
      service.record = record;
      service.srvName = `${record.srvce}.${record.proto}.${service.domain}`;
      service.srvTtl = serviceTtlSource(record, isFlatService(node.data));
    } else if (error) service.recordError = error;
    const names = new Set([...hostChildren, ...sidecarKnown]);
    service.instances = [...names].sort().map((i) => instanceInfo(view, service, i));
    out.push(service);
  }
  return out.sort((a, b) => a.domain.localeCompare(b.domain));
}

/** binder's flat service shape: the SRV fields directly under `service` (no `service.service` object). */
export function isFlatService(data: string | null): boolean {
  try {
    const inner = (JSON.parse(data ?? 'null') as { service?: { service?: unknown } } | null)?.service?.service;
    return typeof inner !== 'object' || inner === null || Array.isArray(inner);
  } catch {
    return false;
  }
}

/** The service a name belongs to: itself, its SRV name, or the service of an instance name. */
export function findService(services: readonly ServiceInfo[], name: string): { service: ServiceInfo; instance?: InstanceInfo } | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  for (const s of services) {
    if (s.domain === n || s.srvName === n) return { service: s };
    const inst = s.instances.find((i) => i.name === n);
    if (inst) return { service: s, instance: inst };
  }
  return undefined;
}
