import { isType, RecordType } from '../dns/index.ts';
import type { DnsClient } from './dns-client.ts';
import { NoNameserversError } from './errors.ts';
import { lookup } from './lookup.ts';
import { makeNameserver, type Nameserver } from './nameserver.ts';
import { minTtl } from './ttl.ts';

export interface BootstrapOptions {
  /** Where to ask for `_dns._udp.<domain>` (the seed). */
  nameservers?: readonly (string | Nameserver)[];
  timeoutMs?: number;
  tries?: number;
  client?: DnsClient;
  signal?: AbortSignal;
}

export interface Bootstrapped {
  nameservers: Nameserver[];
  /** Smallest TTL of the SRV and address records: when to ask again, in seconds. */
  ttl: number;
}

/**
 * The nameservers a binder deployment lists about itself: each target of
 * `_dns._udp.<domain>` SRV, at the SRV port, with its address from the
 * additional section or from an A query. Throws `NoNameserversError` when
 * the SRV lists none with an address.
 */
export async function bootstrapNameservers(domain: string, options: BootstrapOptions = {}): Promise<Bootstrapped> {
  const { nameservers, timeoutMs, tries, client, signal } = options;
  const common = { ...(nameservers ? { nameservers } : {}), ...(timeoutMs ? { timeoutMs } : {}), ...(tries ? { tries } : {}), ...(client ? { client } : {}), ...(signal ? { signal } : {}) };
  const name = `_dns._udp.${domain}`;
  const srv = await lookup(name, RecordType.SRV, common);
  const records = srv.answers.filter((r) => isType(r, RecordType.SRV));
  const found: Nameserver[] = [];
  const ttls: { ttl: number }[] = [...records];
  for (const r of records) {
    const target = r.target.toLowerCase();
    let addresses = srv.additionals.filter((a) => isType(a, RecordType.A) && a.name.toLowerCase() === target);
    if (addresses.length === 0) {
      const a = await lookup(target, RecordType.A, common);
      addresses = a.answers.filter((x) => isType(x, RecordType.A));
    }
    ttls.push(...addresses);
    for (const a of addresses) if (isType(a, RecordType.A)) found.push(makeNameserver(a.address, r.port));
  }
  if (found.length === 0) throw new NoNameserversError(`the ${name} SRV records (${srv.status}, ${records.length} records)`);
  const unique = [...new Map(found.map((ns) => [ns.key, ns])).values()];
  return { nameservers: unique, ttl: minTtl(ttls) ?? 0 };
}
