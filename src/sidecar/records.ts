import { networkInterfaces } from 'node:os';
import { isObject } from './config-fields.ts';
import { registeredPorts, type RegistrationConfig, type SidecarConfig } from './config.ts';
import { SidecarConfigError } from './errors.ts';

// Exactly what registrar writes (shared/BINDER.md §1), key order included, so
// that binder and Herald's server serve a Herald-registered instance unchanged.

/** The ephemeral host record: `{type, address, ttl, <type>: {address, ports}}`. */
export function hostRecord(reg: RegistrationConfig, address: string): Record<string, unknown> {
  // An absent ttl, or no ports (neither `ports` nor a service), is left out
  // of the JSON, as registrar's JSON.stringify does.
  const ports = registeredPorts(reg);
  return { type: reg.type, address, ttl: reg.ttl, [reg.type]: { address, ports: ports.length > 0 ? ports : undefined } };
}

/** The persistent service record, with `service.service.ttl` defaulted to 60 as registrar does. */
export function serviceRecord(reg: RegistrationConfig): Record<string, unknown> | undefined {
  if (!reg.service) return undefined;
  const outer = structuredClone(reg.service);
  const inner = outer['service'];
  if (isObject(inner) && inner['ttl'] === undefined) inner['ttl'] = 60;
  return { type: 'service', service: outer };
}

/** The JSON text stored in the znode. */
export function recordText(record: Record<string, unknown>): string {
  return JSON.stringify(record);
}

/** `adminIp`, else the first non-internal IPv4 address of this host (registrar's rule). */
export function instanceAddress(config: Pick<SidecarConfig, 'adminIp'>, nics = networkInterfaces()): string {
  if (config.adminIp) return config.adminIp;
  for (const list of Object.values(nics)) {
    for (const nic of list ?? []) {
      if (!nic.internal && nic.family === 'IPv4') return nic.address;
    }
  }
  throw new SidecarConfigError('adminIp', 'an address: this host has no non-internal IPv4 interface to use instead');
}

/**
 * The longest time (s) a client may cache an answer naming this instance:
 * the host A TTL (`ttl`, else binder's 30) or the SRV TTL binder derives
 * from the service record (shared/BINDER.md §2), whichever is longer.
 */
export function longestTtl(reg: RegistrationConfig): number {
  const hostTtl = reg.ttl ?? 30;
  const service = serviceRecord(reg);
  if (!service) return hostTtl;
  const outer = service['service'] as Record<string, unknown>;
  const inner = outer['service'] as Record<string, unknown>;
  const serviceTtl = num(inner['ttl']) ?? num(outer['ttl']) ?? hostTtl;
  return Math.max(hostTtl, serviceTtl);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
