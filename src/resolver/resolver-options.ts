import { normalizeName } from '../dns/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Registry } from 'prom-client';
import { parseNameservers, type Nameserver } from './nameserver.ts';

export interface ResolverOptions {
  /** The service domain, e.g. `moray.coal.joyent.us`. */
  domain: string;
  /** SRV service and protocol labels. @default '_http._tcp' */
  service?: string;
  /** Port for backends found through the A/AAAA fallback. @default 80 */
  defaultPort?: number;
  /** `ip`, `ip:port` or `[ipv6]:port`, in order. @default /etc/resolv.conf */
  nameservers?: string | readonly string[];
  /** Find the nameservers from `_dns._udp.<bootstrap>` SRV (asked of `nameservers`). */
  bootstrap?: string;
  /** Per-query timeout in ms. @default 2000 */
  timeoutMs?: number;
  /** Rounds over the nameservers per lookup. @default 2 */
  tries?: number;
  /** Shortest refresh interval in seconds (TTL 0 is treated as this). @default 1 */
  minTtl?: number;
  /** Longest refresh interval in seconds. @default 3600 */
  maxTtl?: number;
  /** Extra random share of each refresh interval (0.1 = up to 10% later). @default 0.1 */
  jitter?: number;
  /** Negative-cache time in seconds when an NXDOMAIN/NODATA carries no SOA. @default 30 */
  negativeTtl?: number;
  /** First retry delay in ms after a failed lookup (doubles per failure). @default 1000 */
  retryMs?: number;
  /** Longest retry delay in ms. @default 30000 */
  maxRetryMs?: number;
  /** How long last-known-good backends are kept while lookups fail or come back empty (fail static), in ms. @default 300000 */
  keepStaleMs?: number;
  /** Address types asked for SRV targets without additional records and for the fallback. @default ['A', 'AAAA'] */
  addressTypes?: readonly ('A' | 'AAAA')[];
  /** Register `herald_resolver_*` metrics in this prom-client registry. */
  registry?: Registry;
}

export interface ResolvedOptions {
  domain: string;
  service: string;
  srvName: string;
  defaultPort: number;
  nameservers: Nameserver[] | undefined;
  bootstrap: string | undefined;
  timeoutMs: number;
  tries: number;
  bounds: { minTtl: number; maxTtl: number };
  jitter: number;
  negativeTtl: number;
  retryMs: number;
  maxRetryMs: number;
  keepStaleMs: number;
  addressTypes: readonly ('A' | 'AAAA')[];
  registry: Registry | undefined;
}

const SERVICE = /^_[A-Za-z0-9][A-Za-z0-9-]*\._(tcp|udp|sctp)$/i;

function positive(name: string, value: number, { integer = false, zero = false } = {}): number {
  const ok = Number.isFinite(value) && (zero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (!ok) throw new InvalidArgumentError(`Expected \`${name}\` to be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}.`);
  return value;
}

/** Defaults applied once, every value checked up front with a precise message. */
export function resolveOptions(o: ResolverOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError('Expected resolver options to be an object.');
  if (typeof o.domain !== 'string') throw new InvalidArgumentError('Expected `domain` to be a DNS name such as "moray.coal.joyent.us".');
  const domain = normalizeName(o.domain);
  const service = o.service ?? '_http._tcp';
  if (!SERVICE.test(service)) throw new InvalidArgumentError(`Expected \`service\` to look like "_moray._tcp", got ${JSON.stringify(service)}.`);
  const defaultPort = o.defaultPort ?? 80;
  if (!Number.isInteger(defaultPort) || defaultPort < 1 || defaultPort > 65535) throw new InvalidArgumentError(`Expected \`defaultPort\` to be 1-65535, got ${JSON.stringify(defaultPort)}.`);
  const nameservers = o.nameservers === undefined ? undefined : parseNameservers(o.nameservers);
  if (nameservers !== undefined && nameservers.length === 0) throw new InvalidArgumentError('Expected `nameservers` to list at least one nameserver.');
  const bootstrap = o.bootstrap === undefined ? undefined : normalizeName(o.bootstrap);
  const minTtl = positive('minTtl', o.minTtl ?? 1);
  const maxTtl = positive('maxTtl', o.maxTtl ?? 3600);
  if (maxTtl < minTtl) throw new InvalidArgumentError(`Expected \`maxTtl\` (${maxTtl}) to be at least \`minTtl\` (${minTtl}).`);
  const jitter = positive('jitter', o.jitter ?? 0.1, { zero: true });
  if (jitter > 1) throw new InvalidArgumentError(`Expected \`jitter\` to be between 0 and 1, got ${jitter}.`);
  const retryMs = positive('retryMs', o.retryMs ?? 1000);
  const maxRetryMs = positive('maxRetryMs', o.maxRetryMs ?? 30_000);
  const addressTypes = o.addressTypes ?? ['A', 'AAAA'];
  if (addressTypes.length === 0 || addressTypes.some((t) => t !== 'A' && t !== 'AAAA')) throw new InvalidArgumentError('Expected `addressTypes` to list "A" and/or "AAAA".');
  return {
    domain, service, srvName: `${service.toLowerCase()}.${domain}`, defaultPort, nameservers, bootstrap,
    timeoutMs: positive('timeoutMs', o.timeoutMs ?? 2000),
    tries: positive('tries', o.tries ?? 2, { integer: true }),
    bounds: { minTtl, maxTtl }, jitter,
    negativeTtl: positive('negativeTtl', o.negativeTtl ?? 30, { zero: true }),
    retryMs, maxRetryMs: Math.max(retryMs, maxRetryMs),
    keepStaleMs: positive('keepStaleMs', o.keepStaleMs ?? 300_000, { zero: true }),
    addressTypes: [...new Set(addressTypes)], registry: o.registry,
  };
}
