import type { DrainProgress } from '../drain/index.ts';
import type { NameserverReply } from './answers.ts';
import { instanceState, type InstanceState, type ShownPhase } from './instance-state.ts';
import { isServed, servedBy, type ServedBy } from './served.ts';
import type { InstanceInfo, ServiceInfo, TtlSource } from './services.ts';

export interface InstanceStatus {
  instance: string;
  name: string;
  address: string | null;
  ports: number[];
  /** The host record's type (`load_balancer`, ...), when there is a host node. */
  type?: string;
  state: InstanceState;
  phase?: ShownPhase;
  /** ISO time since when it is in this state (phase), when known. */
  since?: string;
  reason?: string;
  /**
   * The host node's owner session, hex as zkCli shows `ephemeralOwner`
   * (`0x1000a3c5e2b0003`; memory registries number their own); `persistent`
   * for a persistent node, `live` for an ephemeral one whose store gives no
   * id, `none` without a node.
   */
  session: string;
  /** From the sidecar's status, when it publishes one. */
  healthy?: boolean;
  sidecar?: { pid: number; updatedAt: string };
  /** The sidecar's latest health check result, when it publishes one. */
  lastCheck?: { ok: boolean; detail: string; at: string };
  drain?: DrainProgress;
  /** Every nameserver asked, and whether it serves the instance. */
  nameservers: ServedBy[];
  /** Every nameserver that answered serves it. */
  served: boolean;
}

export interface ServiceStatus {
  domain: string;
  srv?: string;
  port?: number;
  srvTtl?: TtlSource;
  recordError?: string;
  instances: InstanceStatus[];
}

export interface NameserverState {
  nameserver: string;
  /** Answered at least one question (any rcode); null when nothing was asked. */
  answering: boolean | null;
  error?: string;
}

export interface StatusReport {
  domain: string;
  at: string;
  nameservers: NameserverState[];
  services: ServiceStatus[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function instanceStatus(service: ServiceInfo, info: InstanceInfo, answers: ReadonlyMap<string, readonly NameserverReply[]>): InstanceStatus {
  const sv = instanceState(info);
  const ns = servedBy(service, info, answers);
  const out: InstanceStatus = {
    instance: info.instance,
    name: info.name,
    address: info.address,
    ports: info.ports,
    state: sv.state,
    session: info.node ? (info.node.session ?? (info.node.ephemeral ? 'live' : 'persistent')) : 'none',
    nameservers: ns,
    served: isServed(ns),
  };
  if (info.record && info.record.kind !== 'service' && 'type' in info.record) out.type = info.record.type;
  if (sv.phase) out.phase = sv.phase;
  if (sv.since !== undefined) out.since = iso(sv.since);
  if (sv.reason) out.reason = sv.reason;
  if (info.status) {
    out.healthy = info.status.healthy;
    out.sidecar = { pid: info.status.pid, updatedAt: iso(info.status.updatedAt) };
    const c = info.status.lastCheck;
    if (c && typeof c.at === 'number') out.lastCheck = { ok: c.ok === true, detail: String(c.detail), at: iso(c.at) };
  }
  if (sv.drain) out.drain = sv.drain;
  return out;
}

/** Pure: the `herald status` report from the registry's services and every nameserver's replies. */
export function statusReport(domain: string, services: readonly ServiceInfo[], nameservers: readonly string[],
  answers: ReadonlyMap<string, readonly NameserverReply[]>, now: number): StatusReport {
  const replies = [...answers.values()].flat();
  return {
    domain,
    at: iso(now),
    nameservers: nameservers.map((nameserver) => {
      const mine = replies.filter((r) => r.nameserver === nameserver);
      if (mine.length === 0) return { nameserver, answering: null };
      const answering = mine.some((r) => r.answered);
      const error = mine.find((r) => r.error)?.error;
      return answering || error === undefined ? { nameserver, answering } : { nameserver, answering, error };
    }),
    services: services.map((s) => {
      const out: ServiceStatus = { domain: s.domain, instances: s.instances.map((i) => instanceStatus(s, i, answers)) };
      if (s.srvName && s.record) { out.srv = s.srvName; out.port = s.record.port; }
      if (s.srvTtl) out.srvTtl = s.srvTtl;
      if (s.recordError) out.recordError = s.recordError;
      return out;
    }),
  };
}
