import { Rcode, RecordType, normalizeName, type ResourceRecord } from '../dns/index.ts';
import type { RegistrationConfig, SidecarConfig } from './config.ts';
import type { Store } from '../registry/index.ts';
import { domainToPath } from '../registry/index.ts';
import type { NameserverPresence, Presence } from '../drain/index.ts';
import { findWitnesses, type Witness } from './witnesses.ts';

/**
 * Which question proves the instance gone. Binder answers REFUSED for a name
 * it does not hold — the same as for a name it is not sure of — so absence
 * is proven on a name it does hold: the service's SRV set, which must come
 * back NOERROR without this instance's target. A registration without a
 * service has only its own name to ask about: NXDOMAIN or NODATA prove it,
 * and so does REFUSED from a nameserver that answers a witness (witnesses.ts)
 * with data in the same round.
 */
export type PresencePlan =
  | { kind: 'srv'; name: string; target: string }
  | { kind: 'a'; name: string };

export function presencePlan(reg: RegistrationConfig, instance: string): PresencePlan {
  const target = `${instance}.${reg.domain}`.toLowerCase();
  const inner = reg.service?.['service'] as { srvce?: unknown; proto?: unknown } | undefined;
  // No SRV name can be asked without the leading "_" (binder refuses it): then the host name, like a host-only one.
  if (inner && typeof inner.srvce === 'string' && typeof inner.proto === 'string' && inner.srvce.startsWith('_') && inner.proto.startsWith('_')) {
    return { kind: 'srv', name: `${inner.srvce}.${inner.proto}.${reg.domain}`, target };
  }
  return { kind: 'a', name: target };
}

export interface Reply {
  rcode: number;
  status: string;
  answers: readonly ResourceRecord[];
}

/**
 * One nameserver's reply → present / absent / not known yet (REFUSED,
 * SERVFAIL, ...). `witnessed` names a witness this nameserver answered with
 * data in the same round: then REFUSED for a host-only name is "not held".
 */
export function judgePresence(plan: PresencePlan, reply: Reply, witnessed?: string): { state: Presence; detail: string } {
  if (plan.kind === 'srv') {
    if (reply.rcode !== Rcode.NOERROR) return { state: 'unknown', detail: reply.status };
    const serves = reply.answers.some((r) => r.type === RecordType.SRV && 'target' in r && isName(r.target, plan.target));
    return serves ? { state: 'present', detail: 'still serves it' } : { state: 'absent', detail: 'absent' };
  }
  if (reply.rcode === Rcode.NXDOMAIN) return { state: 'absent', detail: 'NXDOMAIN' };
  if (reply.rcode === Rcode.REFUSED && witnessed !== undefined) return { state: 'absent', detail: `REFUSED while it serves ${witnessed}` };
  if (reply.rcode !== Rcode.NOERROR) return { state: 'unknown', detail: reply.status };
  return reply.answers.some((r) => r.type === RecordType.A || r.type === RecordType.AAAA)
    ? { state: 'present', detail: 'still serves it' }
    : { state: 'absent', detail: 'NODATA' };
}

/** The shape of the resolver's `lookup(name, type, { all: true, ... })`. */
export type LookupAll = (
  name: string,
  type: string,
  options: { nameservers: readonly string[]; all: true; timeoutMs: number; tries: number },
) => Promise<{ nameserver: string; result?: Reply | undefined; error?: Error | undefined }[]>;

/** `name` (as a nameserver sent it) is `normalized`; a name Herald cannot read is no match, never an error. */
function isName(name: string, normalized: string): boolean {
  try {
    return normalizeName(name) === normalized;
  } catch {
    return false;
  }
}

/** Whether a witness's reply carries the records it must have while the nameserver serves its part of the tree. */
export function witnessAnswered(witness: Witness, reply: Reply | undefined): boolean {
  if (!reply || reply.rcode !== Rcode.NOERROR) return false;
  const type = witness.type === 'SRV' ? RecordType.SRV : RecordType.A;
  return reply.answers.some((r) => r.type === type);
}

type Outcome = Awaited<ReturnType<LookupAll>>[number];

/** `lookupAll` that never rejects: a question that cannot be asked is every nameserver's error. */
async function askAll(name: string, type: string, nameservers: readonly string[], lookupAll: LookupAll, timeoutMs: number): Promise<Outcome[]> {
  try {
    return await lookupAll(name, type, { nameservers, all: true, timeoutMs, tries: 1 });
  } catch (err) {
    return nameservers.map((nameserver) => ({ nameserver, error: err as Error }));
  }
}

/**
 * Asks every nameserver once (in parallel) and judges each reply. For a
 * host-only plan the witnesses are asked in the same round.
 */
export async function askPresence(plan: PresencePlan, nameservers: readonly string[], lookupAll: LookupAll, timeoutMs: number, witnesses: readonly Witness[] = []): Promise<NameserverPresence[]> {
  const asked = plan.kind === 'a' ? witnesses : [];
  const [outcomes, ...witnessOutcomes] = await Promise.all([
    askAll(plan.name, plan.kind === 'srv' ? 'SRV' : 'A', nameservers, lookupAll, timeoutMs),
    ...asked.map((w) => askAll(w.name, w.type, nameservers, lookupAll, timeoutMs)),
  ]);
  return outcomes!.map((o) => {
    if (!o.result) {
      const code = (o.error as { code?: unknown } | undefined)?.code;
      return { nameserver: o.nameserver, state: 'unknown', detail: code === 'HERALD_QUERY_TIMEOUT' ? 'timeout' : (o.error?.message ?? 'error') };
    }
    const witnessed = asked.find((w, i) => witnessAnswered(w, witnessOutcomes[i]!.find((x) => x.nameserver === o.nameserver)?.result));
    const { state, detail } = judgePresence(plan, o.result, witnessed && `${witnessed.type} ${witnessed.name}`);
    return { nameserver: o.nameserver, state, detail };
  });
}

/**
 * The nameservers to confirm absence with: the binders a bootstrap domain's
 * `_dns._udp` SRV names (asked of `nameservers`, else resolv.conf), else
 * the configured list, else resolv.conf.
 * Asked again on every drain, so a changed binder set is followed.
 */
export async function drainNameservers(config: { nameservers?: string[]; bootstrap?: string; lookupTimeout: number }): Promise<string[]> {
  if (config.nameservers && !config.bootstrap) return config.nameservers;
  const { bootstrapNameservers, readResolvConf } = await import('../resolver/index.ts');
  if (config.bootstrap) {
    const seed = config.nameservers ? { nameservers: config.nameservers } : {};
    return (await bootstrapNameservers(config.bootstrap, { ...seed, timeoutMs: config.lookupTimeout })).nameservers.map((n) => n.key);
  }
  return (await readResolvConf()).map((n) => n.key);
}

/** The resolver's `lookup`, loaded by the first drain: a sidecar that never drains never loads the resolver. */
async function resolverLookup(...args: Parameters<LookupAll>): ReturnType<LookupAll> {
  const { lookup } = await import('../resolver/index.ts');
  return (lookup as LookupAll)(...args);
}

/**
 * The presence probe for a sidecar's config, wired to the resolver's
 * `lookup`. With a registry session, a host-only registration finds its
 * witnesses there (re-read every 5 s while a drain polls).
 */
export function createPresenceProbe(config: SidecarConfig, store?: Pick<Store, 'children' | 'get'>, lookupAll: LookupAll = resolverLookup): () => Promise<NameserverPresence[]> {
  const plan = presencePlan(config.registration, config.instance);
  const reg = config.registration;
  const own = [`${domainToPath(reg.domain)}/${config.instance}`, ...reg.aliases.map((a) => domainToPath(a))];
  let list: Promise<string[]> | undefined;
  let listedAt = 0;
  let witnesses: Witness[] = [];
  let witnessedAt = -Infinity;
  return async () => {
    if (!list || Date.now() - listedAt > 30_000) {
      list = drainNameservers(config.drain);
      listedAt = Date.now();
    }
    if (plan.kind === 'a' && store && Date.now() - witnessedAt > 5_000) {
      // The registry away is no reason to stop asking: the last witnesses stay.
      witnesses = await findWitnesses(store, reg.domain, own).catch(() => witnesses);
      witnessedAt = Date.now();
    }
    const nameservers = await list.catch((err: unknown) => {
      list = undefined;
      throw err;
    });
    return askPresence(plan, nameservers, lookupAll, config.drain.lookupTimeout, witnesses);
  };
}
