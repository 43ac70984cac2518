import { gatherStatus, type InstanceStatus, type ServiceStatus } from '../operator/index.ts';
import type { Store } from '../registry/index.ts';

export interface InstanceView {
  instance: string;
  address: string | null;
  /** Registered, healthy, and served by every nameserver asked. */
  available: boolean;
  /** Why not, in a few words. */
  why: string;
  status: InstanceStatus;
}

export interface ServiceView {
  domain: string;
  /** `_srvce._proto.<domain>`, when the service has a service record. */
  srv?: string;
  instances: InstanceView[];
}

/** Pure: whether one instance counts as available, and why not. */
export function judgeAvailable(s: InstanceStatus): { available: boolean; why: string } {
  if (s.state !== 'registered') return { available: false, why: s.phase ? `${s.state} (${s.phase})` : s.state };
  if (s.healthy === false) return { available: false, why: 'unhealthy' };
  const notServing = s.nameservers.filter((n) => n.served !== 'yes');
  if (s.nameservers.length === 0) return { available: false, why: 'no nameserver asked' };
  if (notServing.length) return { available: false, why: `not served by ${notServing.map((n) => `${n.nameserver} (${n.status})`).join(', ')}` };
  return { available: true, why: 'available' };
}

function view(service: ServiceStatus): ServiceView {
  const out: ServiceView = {
    domain: service.domain,
    instances: service.instances.map((status) => ({ instance: status.instance, address: status.address, status, ...judgeAvailable(status) })),
  };
  if (service.srv) out.srv = service.srv;
  return out;
}

/** One look at the service: the registry's view and every nameserver's answer (the operator's `herald status`). */
export async function observeService(store: Store, domain: string, nameservers: readonly string[], timeoutMs = 1000): Promise<ServiceView> {
  const report = await gatherStatus(domain, { store, nameservers, timeoutMs });
  const service = report.services.find((s) => s.domain === domain);
  return service ? view(service) : { domain, instances: [] };
}
