import type { DatabaseRecord, HostRecord, ServiceRecord } from './records.ts';

/** binder's TTL when a record names none. */
export const DEFAULT_TTL = 30;

/** TTL of a host's own A / PTR answer: `rec[type].ttl` → `rec.ttl` → 30. */
export function hostTtl(host: HostRecord | DatabaseRecord): number {
  return host.typeTtl ?? host.ttl ?? DEFAULT_TTL;
}

/** TTL of a service's SRV answers: `service.service.ttl` → `service.ttl` → `rec.ttl` → 30. */
export function serviceTtl(service: ServiceRecord): number {
  return service.srvTtl ?? service.serviceTtl ?? service.ttl ?? DEFAULT_TTL;
}

/** TTL of the additional A record for an SRV target: child `[type].ttl` → child `ttl` → the service TTL. */
export function targetTtl(member: HostRecord, service: ServiceRecord): number {
  return member.typeTtl ?? member.ttl ?? serviceTtl(service);
}

/** TTL of one A answer for a service name: min(service TTL, the child's TTL as for an SRV target). */
export function serviceAddressTtl(member: HostRecord, service: ServiceRecord): number {
  return Math.min(serviceTtl(service), targetTtl(member, service));
}
