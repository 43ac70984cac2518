import { setTimeout as sleep } from 'node:timers/promises';
import { ttlOverridePath, type TtlOverride } from '../drain/index.ts';
import type { Store } from '../registry/index.ts';
import { lookup, type NameserverOutcome } from '../resolver/index.ts';

export interface TtlSeen {
  nameserver: string;
  /** Every record in the answer carries at most the fast TTL. */
  lowered: boolean;
  /** The largest TTL in the answer, when it answered with records. */
  ttl?: number;
  said: string;
}

/** Pure: whether one nameserver's answer shows the lowered TTL. An answer without records proves nothing. */
export function judgeTtl(o: NameserverOutcome, fastTtl: number): TtlSeen {
  if (o.error !== undefined) return { nameserver: o.nameserver, lowered: false, said: o.error.message };
  const r = o.result;
  const records = [...r.answers, ...r.additionals];
  if (r.status !== 'NOERROR' || records.length === 0) return { nameserver: o.nameserver, lowered: false, said: records.length ? r.status : `${r.status}, no records` };
  const ttl = Math.max(...records.map((x) => x.ttl));
  return { nameserver: o.nameserver, lowered: ttl <= fastTtl, ttl, said: `TTL ${ttl}` };
}

export type FastTtlOutcome =
  | { ok: true; override: TtlOverride; seen: TtlSeen[] }
  | { ok: false; reason: string; seen: TtlSeen[] };

export interface LowerTtlOptions {
  store: Store;
  domain: string;
  /** The question whose answers carry the service's TTLs: its SRV name, else the domain's A. */
  question: { name: string; type: 'SRV' | 'A' };
  fastTtl: number;
  nameservers: readonly string[];
  by: string;
  /** A nameserver still answering the old TTL after this long does not honour overrides. @default 3000 */
  confirmMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Writes the service's TTL override and asks every nameserver until each
 * answers with the lowered TTL; then records when that was (`effectiveAt`),
 * which is what lets sidecars wait less. A nameserver that keeps the old TTL
 * (binder, BIND) means no shortcut: the override is removed and the outcome
 * says which nameserver and what it answered.
 */
export async function lowerTtl(o: LowerTtlOptions): Promise<FastTtlOutcome> {
  const path = ttlOverridePath(o.domain);
  const override: TtlOverride = { ttl: o.fastTtl, requestedAt: Date.now(), by: o.by };
  await o.store.putPersistent(path, JSON.stringify(override));
  const giveUpAt = Date.now() + (o.confirmMs ?? 3000);
  let seen: TtlSeen[] = [];
  for (;;) {
    const outcomes = await lookup(o.question.name, o.question.type, { all: true, nameservers: o.nameservers, tries: 1, timeoutMs: 500 });
    const at = Date.now();
    seen = outcomes.map((x) => judgeTtl(x, o.fastTtl));
    if (seen.every((s) => s.lowered)) {
      const effective: TtlOverride = { ...override, effectiveAt: at };
      await o.store.putPersistent(path, JSON.stringify(effective));
      return { ok: true, override: effective, seen };
    }
    if (at >= giveUpAt || o.signal?.aborted) break;
    await sleep(o.pollMs ?? 100);
  }
  await removeTtlOverride(o.store, o.domain);
  const stale = seen.filter((s) => !s.lowered).map((s) => `${s.nameserver} ${s.said}`).join(', ');
  return { ok: false, reason: `not every nameserver honours Herald's TTL override (still ${stale} after ${((o.confirmMs ?? 3000) / 1000).toFixed(1)} s)`, seen };
}

export async function removeTtlOverride(store: Store, domain: string): Promise<boolean> {
  return store.delete(ttlOverridePath(domain));
}
