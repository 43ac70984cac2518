import { type ResourceRecord, type SoaRecord, addressFromReverse, isSubdomain, CLASS_IN, Rcode, RecordType } from '../dns/index.ts';
// The registry's pure leaves, not its index: this runs in every UDP worker thread, which must not load the ZooKeeper client.
import { isServiceMember, memberPorts, type HostRecord } from '../registry/records.ts';
import { DEFAULT_TTL, hostTtl, serviceAddressTtl, serviceTtl, targetTtl } from '../registry/ttl.ts';
import type { Zone, ZoneEntry } from './zone.ts';

/** The content of a reply, before encoding. `shuffle`: the answers are reordered per query. */
export interface Answer {
  rcode: number;
  aa: boolean;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  shuffle: boolean;
  /** False for answers about names not held (REFUSED): not worth a cache slot. */
  cacheable: boolean;
}

const SRV_PRIORITY = 0;
const SRV_WEIGHT = 10;

function reply(rcode: number, parts: Partial<Answer> = {}): Answer {
  return { rcode, aa: rcode === Rcode.NOERROR || rcode === Rcode.NXDOMAIN, answers: [], authorities: [], additionals: [], shuffle: false, cacheable: true, ...parts };
}

const refused = (): Answer => reply(Rcode.REFUSED, { cacheable: false });

/**
 * What binder answers for (name, type) (BINDER.md §3), from a zone; `name`
 * is normalized (lower case, no trailing dot). Pure: the server caches it.
 * AAAA is answered for hosts whose address is IPv6, and NOTIMP otherwise,
 * as binder answers every AAAA.
 */
export function answer(zone: Zone, name: string, type: number, qclass = CLASS_IN): Answer {
  if (qclass !== CLASS_IN) return refused();
  switch (type) {
    case RecordType.PTR: return answerPtr(zone, name);
    case RecordType.SRV: return answerSrv(zone, name);
    case RecordType.A: return answerAddress(zone, name, 4);
    case RecordType.AAAA: return answerAddress(zone, name, 6);
    default: return reply(Rcode.NOTIMP, { cacheable: isSubdomain(name, zone.domain) });
  }
}

function held(zone: Zone, name: string): ZoneEntry | undefined {
  return isSubdomain(name, zone.domain) ? zone.names.get(name) : undefined;
}

function answerPtr(zone: Zone, name: string): Answer {
  const address = addressFromReverse(name);
  const names = address === undefined ? undefined : zone.reverse.get(address);
  if (!names) return refused();
  const answers: ResourceRecord[] = [];
  for (const target of names) {
    const record = zone.names.get(target.toLowerCase())?.record;
    if (!record || record instanceof Error || (record.kind !== 'host' && record.kind !== 'database')) continue;
    answers.push({ name, type: RecordType.PTR, class: CLASS_IN, ttl: hostTtl(record), target });
  }
  return reply(Rcode.NOERROR, { answers });
}

function answerSrv(zone: Zone, name: string): Answer {
  const m = /^(_[^.]+)\.(_[^.]+)\.(.+)$/.exec(name);
  if (!m) return refused();
  const [, srvce, proto, base] = m as unknown as [string, string, string, string];
  const entry = held(zone, base);
  if (!entry) return refused();
  const record = entry.record;
  if (record instanceof Error) return reply(Rcode.SERVFAIL, { aa: false });
  if (record.kind === 'service') {
    if (record.srvce !== srvce || record.proto !== proto) return reply(Rcode.NXDOMAIN);
    const ttl = serviceTtl(record);
    const answers: ResourceRecord[] = [];
    const additionals: ResourceRecord[] = [];
    for (const [target, member] of members(zone, entry)) {
      for (const port of memberPorts(member, record)) {
        answers.push({ name, type: RecordType.SRV, class: CLASS_IN, ttl, priority: SRV_PRIORITY, weight: SRV_WEIGHT, port, target });
      }
      additionals.push(addressRecord(target, member.address, targetTtl(member, record)));
    }
    return reply(Rcode.NOERROR, { answers, additionals, shuffle: answers.length > 1 });
  }
  if (record.kind === 'unknown') return reply(Rcode.NOTIMP);
  // An instance or a host record: no such service here, but the name exists.
  return reply(Rcode.NOERROR, { authorities: [soa(zone.domain, hostTtl(record))] });
}

function answerAddress(zone: Zone, name: string, family: 4 | 6): Answer {
  const entry = held(zone, name);
  if (!entry) return family === 6 ? reply(Rcode.NOTIMP, { cacheable: false }) : refused();
  const record = entry.record;
  if (record instanceof Error) return reply(Rcode.SERVFAIL, { aa: false });
  if (record.kind === 'unknown') return reply(Rcode.NOTIMP);
  if (record.kind === 'service') {
    const answers: ResourceRecord[] = [];
    for (const [, member] of members(zone, entry)) {
      if (familyOf(member.address) === family) answers.push(addressRecord(name, member.address, serviceAddressTtl(member, record)));
    }
    if (family === 6 && answers.length === 0) return reply(Rcode.NOTIMP);
    return reply(Rcode.NOERROR, { answers, shuffle: answers.length > 1 });
  }
  // A null address (registrar writes one while it has none) is an empty answer, never a crash.
  if (record.address !== null && familyOf(record.address) === family) {
    return reply(Rcode.NOERROR, { answers: [addressRecord(name, record.address, hostTtl(record))] });
  }
  return family === 6 ? reply(Rcode.NOTIMP) : reply(Rcode.NOERROR);
}

/** A service entry's children as names: each one's own spelling (the SRV target) and its lower-cased key in the zone. */
interface ChildNames { targets: string[]; keys: string[] }

/**
 * By service entry: its children's names. An entry's children never change
 * (a new child list is a new entry), so they are spelled out once per entry,
 * not at each answer: a service's answers are worked out again after every
 * change to any of its members.
 */
const childNames = new WeakMap<ZoneEntry, ChildNames>();

function namesOf(service: ZoneEntry): ChildNames {
  let names = childNames.get(service);
  if (names === undefined) {
    const targets = service.children.map((child) => `${child}.${service.name}`);
    names = { targets, keys: targets.map((t) => t.toLowerCase()) };
    childNames.set(service, names);
  }
  return names;
}

/** The service's eligible instances with their full names (the nodes' own spelling), in name order. */
function members(zone: Zone, service: ZoneEntry): [string, HostRecord & { address: string }][] {
  const { targets, keys } = namesOf(service);
  const out: [string, HostRecord & { address: string }][] = [];
  for (let i = 0; i < keys.length; i++) {
    const record = zone.names.get(keys[i]!)?.record;
    if (record && !(record instanceof Error) && isServiceMember(record)) out.push([targets[i]!, record]);
  }
  return out;
}

/** The family of an address a held record carries: records are checked where they enter (zone.ts `readNode`), so it is an IP, and IPv6 exactly when it has a colon. */
function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

function addressRecord(name: string, address: string, ttl: number): ResourceRecord {
  return familyOf(address) === 6
    ? { name, type: RecordType.AAAA, class: CLASS_IN, ttl, address }
    : { name, type: RecordType.A, class: CLASS_IN, ttl, address };
}

/** binder's SOA for NODATA: its minimum is the node's TTL, the negative-cache time clients use. */
export function soa(domain: string, ttl: number = DEFAULT_TTL): SoaRecord {
  return {
    name: domain, type: RecordType.SOA, class: CLASS_IN, ttl,
    mname: domain, rname: `hostmaster.${domain}`, serial: 0, refresh: 86400, retry: 7200, expire: 1209600, minimum: ttl,
  };
}

