import { Rcode, RecordType, normalizeName, type ResourceRecord } from '../dns/index.ts';
import { bootstrapNameservers, lookup, readResolvConf } from '../resolver/index.ts';
import type { RegistrationConfig, SidecarConfig } from './config.ts';
import type { NameserverPresence, Presence } from '../drain/index.ts';

/**
 * Which question proves the instance gone. Binder answers REFUSED for a name
 * it does not hold — the same as for a name it is not sure of — so absence
 * is proven on a name it does hold: the service's SRV set, which must come
 * back NOERROR without this instance's target. A registration without a
 * service has only its own name to ask about: NXDOMAIN or NODATA prove it.
 */
export type PresencePlan =
  | { kind: 'srv'; name: string; target: string }
  | { kind: 'a'; name: string };

export function presencePlan(reg: RegistrationConfig, instance: string): PresencePlan {
  const target = `${instance}.${reg.domain}`.toLowerCase();
  const inner = reg.service?.['service'] as { srvce?: unknown; proto?: unknown } | undefined;
  if (inner && typeof inner.srvce === 'string' && typeof inner.proto === 'string') {
    return { kind: 'srv', name: `${inner.srvce}.${inner.proto}.${reg.domain}`, target };
  }
  return { kind: 'a', name: target };
}

export interface Reply {
  rcode: number;
  status: string;
  answers: readonly ResourceRecord[];
}

/** One nameserver's reply → present / absent / not known yet (REFUSED, SERVFAIL, ...). */
export function judgePresence(plan: PresencePlan, reply: Reply): { state: Presence; detail: string } {
  if (plan.kind === 'srv') {
    if (reply.rcode !== Rcode.NOERROR) return { state: 'unknown', detail: reply.status };
    const serves = reply.answers.some((r) => r.type === RecordType.SRV && 'target' in r && normalizeName(r.target) === plan.target);
    return serves ? { state: 'present', detail: 'still serves it' } : { state: 'absent', detail: 'absent' };
  }
  if (reply.rcode === Rcode.NXDOMAIN) return { state: 'absent', detail: 'NXDOMAIN' };
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

/** Asks every nameserver once (in parallel) and judges each reply. */
export async function askPresence(plan: PresencePlan, nameservers: readonly string[], lookupAll: LookupAll, timeoutMs: number): Promise<NameserverPresence[]> {
  const outcomes = await lookupAll(plan.name, plan.kind === 'srv' ? 'SRV' : 'A', { nameservers, all: true, timeoutMs, tries: 1 });
  return outcomes.map((o) => {
    if (!o.result) {
      const code = (o.error as { code?: unknown } | undefined)?.code;
      return { nameserver: o.nameserver, state: 'unknown', detail: code === 'HERALD_QUERY_TIMEOUT' ? 'timeout' : (o.error?.message ?? 'error') };
    }
    const { state, detail } = judgePresence(plan, o.result);
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
  if (config.bootstrap) {
    const seed = config.nameservers ? { nameservers: config.nameservers } : {};
    return (await bootstrapNameservers(config.bootstrap, { ...seed, timeoutMs: config.lookupTimeout })).nameservers.map((n) => n.key);
  }
  if (config.nameservers) return config.nameservers;
  return (await readResolvConf()).map((n) => n.key);
}

/** The presence probe for a sidecar's config, wired to the resolver's `lookup`. */
export function createPresenceProbe(config: SidecarConfig): () => Promise<NameserverPresence[]> {
  const plan = presencePlan(config.registration, config.instance);
  let list: Promise<string[]> | undefined;
  let listedAt = 0;
  return async () => {
    if (!list || Date.now() - listedAt > 30_000) {
      list = drainNameservers(config.drain);
      listedAt = Date.now();
    }
    const nameservers = await list.catch((err: unknown) => {
      list = undefined;
      throw err;
    });
    return askPresence(plan, nameservers, lookup as LookupAll, config.drain.lookupTimeout);
  };
}
