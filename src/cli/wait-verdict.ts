import { isType, Rcode, RecordType } from '../dns/index.ts';
import type { NameserverOutcome } from '../resolver/index.ts';

export type Direction = 'in' | 'out';

export interface Verdict {
  nameserver: string;
  agrees: boolean;
  /** What the nameserver said, for people: `answers 10.0.0.1, 10.0.0.2`, `REFUSED`, `timed out`. */
  said: string;
}

/**
 * Whether one nameserver's reply shows every address in (or out of) the
 * name's records. Only NOERROR (and NXDOMAIN, for `out`) is an answer:
 * REFUSED, SERVFAIL, NOTIMP and timeouts mean "not known yet", never "absent".
 */
export function verdict(outcomes: readonly NameserverOutcome[], addresses: readonly string[], direction: Direction): Verdict {
  const nameserver = outcomes[0]!.nameserver;
  const found = new Set<string>();
  const said: string[] = [];
  for (const o of outcomes) {
    if (o.error !== undefined) {
      const code = (o.error as { code?: string }).code;
      return { nameserver, agrees: false, said: code === 'HERALD_QUERY_TIMEOUT' ? 'timed out' : `error (${o.error.message.replace(`${nameserver}: `, '')})` };
    }
    const r = o.result;
    if (r.rcode === Rcode.NXDOMAIN) { said.push('NXDOMAIN'); continue; }
    if (r.rcode !== Rcode.NOERROR) return { nameserver, agrees: false, said: r.status };
    for (const a of r.answers) if (isType(a, RecordType.A) || isType(a, RecordType.AAAA)) found.add(a.address);
  }
  const answer = found.size > 0 ? `answers ${[...found].sort().join(', ')}` : said.length > 0 ? said.join(', ') : 'no addresses (NOERROR)';
  const agrees = direction === 'in' ? addresses.every((a) => found.has(a)) : addresses.every((a) => !found.has(a));
  return { nameserver, agrees, said: answer };
}
