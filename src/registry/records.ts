import { isIP } from 'node:net';
import { InvalidRecordError } from './errors.ts';

/** Host record types binder knows (BINDER.md §1). */
export const HOST_TYPES = ['host', 'db_host', 'load_balancer', 'moray_host', 'redis_host', 'ops_host', 'rr_host'] as const;
export type HostType = (typeof HOST_TYPES)[number];

/** The host types that count as members of a service (BINDER.md §3); `host` and `db_host` do not. */
export const SERVICE_MEMBER_TYPES: ReadonlySet<string> = new Set(['load_balancer', 'moray_host', 'ops_host', 'rr_host', 'redis_host']);

/** An instance: one address, optional ports, TTLs as written (undefined when absent). */
export interface HostRecord {
  kind: 'host';
  type: HostType;
  /** IPv4 or IPv6 text, or null (registrar writes null while an address is unknown). */
  address: string | null;
  /** `rec[type].ports`; undefined or empty means "the service port". */
  ports: number[] | undefined;
  /** `rec[type].ttl` */
  typeTtl: number | undefined;
  /** `rec.ttl` */
  ttl: number | undefined;
}

/** A service node: the SRV name parts and port; the three places a TTL may be written. */
export interface ServiceRecord {
  kind: 'service';
  /** e.g. `_moray` (registrar spells the key `srvce`) */
  srvce: string;
  /** e.g. `_tcp` */
  proto: string;
  port: number;
  /** `service.service.ttl` */
  srvTtl: number | undefined;
  /** `service.ttl` */
  serviceTtl: number | undefined;
  /** `rec.ttl` */
  ttl: number | undefined;
}

/** Legacy `database` record: answered with the host of `database.primary`. */
export interface DatabaseRecord {
  kind: 'database';
  address: string | null;
  typeTtl: number | undefined;
  ttl: number | undefined;
}

/** Well-formed JSON with a `type` binder does not serve (it answers NOTIMP). */
export interface UnknownRecord {
  kind: 'unknown';
  type: string;
}

export type RegistryRecord = HostRecord | ServiceRecord | DatabaseRecord | UnknownRecord;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalTtl(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new InvalidRecordError(field, `must be an integer 0..2147483647, got ${JSON.stringify(v)}`);
  }
  return v;
}

function port(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
    throw new InvalidRecordError(field, `must be an integer 0..65535, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * More ports than this on one host cannot be served: one TCP reply holds
 * about 2,000 SRV records at best, and no real instance listens on more.
 */
export const MAX_HOST_PORTS = 1024;

function address(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || isIP(v) === 0) throw new InvalidRecordError(field, `must be an IP address or null, got ${JSON.stringify(v)}`);
  // net.isIP accepts a scope (`fe80::1%eth0`, even `::1%a:b:c`); an A or AAAA record cannot carry one.
  if (v.includes('%')) throw new InvalidRecordError(field, `must be an address without a scope, got ${JSON.stringify(v)}`);
  return v;
}

function label(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^_[A-Za-z0-9-]{1,62}$/.test(v)) {
    throw new InvalidRecordError(field, `must be a label such as "_http", got ${JSON.stringify(v)}`);
  }
  return v.toLowerCase();
}

/** Parses a znode's JSON into a record. Throws `InvalidRecordError` naming the bad field. */
export function parseRecord(text: string): RegistryRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidRecordError('(json)', 'is not valid JSON');
  }
  return recordFromJson(json);
}

/** Validates an already-parsed JSON value as a record. */
export function recordFromJson(json: unknown): RegistryRecord {
  if (!isObject(json)) throw new InvalidRecordError('(record)', 'must be a JSON object');
  const type = json['type'];
  if (typeof type !== 'string') throw new InvalidRecordError('type', `must be a string, got ${JSON.stringify(type)}`);
  if (type === 'service') return serviceFromJson(json);
  if (type === 'database') return databaseFromJson(json);
  if ((HOST_TYPES as readonly string[]).includes(type)) return hostFromJson(json, type as HostType);
  return { kind: 'unknown', type };
}

function hostFromJson(json: Record<string, unknown>, type: HostType): HostRecord {
  const detail = json[type];
  if (detail !== undefined && detail !== null && !isObject(detail)) throw new InvalidRecordError(type, 'must be an object');
  const d = detail ?? {};
  // The type's own object wins; registrar writes the same address in both places.
  const addr = 'address' in d ? address(d['address'], `${type}.address`) : address(json['address'], 'address');
  let ports: number[] | undefined;
  const rawPorts = d['ports'];
  if (rawPorts !== undefined && rawPorts !== null) {
    if (!Array.isArray(rawPorts)) throw new InvalidRecordError(`${type}.ports`, 'must be an array of ports');
    if (rawPorts.length > MAX_HOST_PORTS) throw new InvalidRecordError(`${type}.ports`, `has ${rawPorts.length} ports, more than the ${MAX_HOST_PORTS} one reply can serve`);
    ports = rawPorts.map((p, i) => port(p, `${type}.ports[${i}]`));
  }
  return { kind: 'host', type, address: addr, ports, typeTtl: optionalTtl(d['ttl'], `${type}.ttl`), ttl: optionalTtl(json['ttl'], 'ttl') };
}

/**
 * registrar nests the SRV fields in `service.service`; binder also serves
 * the flat shape with them directly under `service`, taking `service.service`
 * when it is an object and `service` itself otherwise. So does Herald.
 */
function serviceFromJson(json: Record<string, unknown>): ServiceRecord {
  const service = json['service'];
  if (!isObject(service)) throw new InvalidRecordError('service', 'must be an object');
  const nested = isObject(service['service']);
  const inner = nested ? (service['service'] as Record<string, unknown>) : service;
  const at = nested ? 'service.service' : 'service';
  return {
    kind: 'service',
    srvce: label(inner['srvce'], `${at}.srvce`),
    proto: label(inner['proto'], `${at}.proto`),
    port: port(inner['port'], `${at}.port`),
    srvTtl: optionalTtl(inner['ttl'], `${at}.ttl`),
    serviceTtl: nested ? optionalTtl(service['ttl'], 'service.ttl') : undefined,
    ttl: optionalTtl(json['ttl'], 'ttl'),
  };
}

function databaseFromJson(json: Record<string, unknown>): DatabaseRecord {
  const db = json['database'];
  if (!isObject(db)) throw new InvalidRecordError('database', 'must be an object');
  const primary = db['primary'];
  let addr: string | null = null;
  if (primary !== undefined && primary !== null) {
    if (typeof primary !== 'string') throw new InvalidRecordError('database.primary', 'must be a URL string');
    let host: string;
    try {
      host = new URL(primary).hostname.replace(/^\[|\]$/g, '');
    } catch {
      throw new InvalidRecordError('database.primary', `is not a URL: ${JSON.stringify(primary)}`);
    }
    addr = address(host, 'database.primary host');
  }
  return { kind: 'database', address: addr, typeTtl: optionalTtl(db['ttl'], 'database.ttl'), ttl: optionalTtl(json['ttl'], 'ttl') };
}

/** What registrar's `registration.service` holds: `{type:"service", service:{srvce, proto, port, ttl?}, ttl?}`. */
export interface ServiceRegistration {
  type?: 'service';
  service: { srvce: string; proto: string; port: number; ttl?: number };
  ttl?: number;
}

/** The service node's JSON exactly as registrar writes it (BINDER.md §1): `service.service.ttl` defaults to 60. */
export function serviceRecordJson(service: ServiceRegistration): string {
  const inner = { ...service.service, ttl: service.service.ttl ?? 60 };
  const record = { type: 'service', service: { type: 'service', ...service, service: inner } };
  recordFromJson(record);
  return JSON.stringify(record);
}

/** The host node's JSON exactly as registrar writes it: `{type, address, ttl, <type>: {address, ports}}`. */
export function hostRecordJson(host: { type: HostType; address: string | null; ports: number[]; ttl?: number }): string {
  const record: Record<string, unknown> = { type: host.type, address: host.address };
  if (host.ttl !== undefined) record['ttl'] = host.ttl;
  record[host.type] = { address: host.address, ports: host.ports };
  recordFromJson(record);
  return JSON.stringify(record);
}

/** True when a record is an instance that a service's SRV/A answers include (eligible type, known address). */
export function isServiceMember(record: RegistryRecord): record is HostRecord & { address: string } {
  return record.kind === 'host' && SERVICE_MEMBER_TYPES.has(record.type) && record.address !== null;
}

/** The ports a member serves: its own, or the service port when it has none. */
export function memberPorts(member: HostRecord, service: ServiceRecord): number[] {
  return member.ports && member.ports.length > 0 ? member.ports : [service.port];
}
