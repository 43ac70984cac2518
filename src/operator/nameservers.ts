import { bootstrapNameservers, parseNameservers, systemNameservers } from '../resolver/index.ts';

/**
 * The nameservers the operator commands ask, as `ip:port` keys: the list
 * given; or those a bootstrap domain's `_dns._udp` SRV lists (asked of the
 * list given, else of /etc/resolv.conf); else /etc/resolv.conf's.
 */
export async function chooseNameservers(list: string | undefined, bootstrap: string | undefined, timeoutMs: number): Promise<string[]> {
  const given = list === undefined ? undefined : parseNameservers(list);
  if (bootstrap !== undefined) {
    const found = await bootstrapNameservers(bootstrap, { ...(given ? { nameservers: given } : {}), timeoutMs, tries: 1 });
    return found.nameservers.map((n) => n.key);
  }
  return (given ?? (await systemNameservers())).map((n) => n.key);
}
