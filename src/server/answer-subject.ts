import { addressFromReverse, isSubdomain, RecordType } from '../dns/index.ts';
import type { ZoneChange } from './zone-update.ts';

// What a cached answer depends on, so that a zone change drops only the
// answers it could have changed. answer.ts reads, for a question:
//   A / AAAA / other types of N: N's entry and, for a service, its children's
//     entries (names one label or more below N);
//   SRV _s._p.N: N's entry and its children's (the same);
//   PTR of an address: the reverse list of the address and its names' entries.
// A cached answer is filed under its subject (N, or the address); a changed
// name K invalidates K and every ancestor of K within the domain (one of
// them may be a service K is a member of, whatever dots its labels hold);
// a changed reverse list or target invalidates its address. Answers about
// names not held (REFUSED, AAAA's NOTIMP) are never cached, and the NOTIMP
// of other types depends on the domain only.

const SRV_NAME = /^_[^.]+\._[^.]+\.(.+)$/;

/** The subject a cached answer to (qtype, normalized name) is filed under. */
export function answerSubject(qtype: number, name: string): string {
  if (qtype === RecordType.SRV) return SRV_NAME.exec(name)?.[1] ?? name;
  if (qtype === RecordType.PTR) return `ptr ${addressFromReverse(name) ?? name}`;
  return name;
}

/** Every subject whose answers a zone change may have changed. */
export function changedSubjects(change: ZoneChange, domain: string): Set<string> {
  const out = new Set<string>();
  for (const key of change.names) {
    let name = key;
    while (isSubdomain(name, domain) && !out.has(name)) {
      out.add(name);
      if (name === domain) break;
      const dot = name.indexOf('.');
      if (dot < 0) break;
      name = name.slice(dot + 1);
    }
  }
  for (const address of change.addresses) out.add(`ptr ${address}`);
  return out;
}
