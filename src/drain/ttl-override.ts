import { domainToPath, pathToDomain, type Snapshot, type Store } from '../registry/index.ts';

// A Herald-owned TTL override for one service, outside the DNS subtree:
//   /herald/ttl/<domain path>   {"ttl":1,"requestedAt":…,"effectiveAt"?:…,"by"?:…}
// `herald serve` answers every record at or under the domain with at most
// `ttl` seconds while the node exists. `effectiveAt` is written only once
// every nameserver was seen answering with the lowered TTL: from then on an
// answer a client gets carries at most `ttl`, and the answers it got before
// expire by effectiveAt + the record's own TTL.

export const TTL_ROOT = '/herald/ttl';

export function ttlOverridePath(domain: string): string {
  return `${TTL_ROOT}${domainToPath(domain)}`;
}

export interface TtlOverride {
  /** Seconds: the most any answer at or under the domain carries. */
  ttl: number;
  requestedAt: number;
  /** `Date.now()` ms when the last nameserver was confirmed answering with `ttl`; absent until then. */
  effectiveAt?: number;
  by?: string;
}

/** Reads an override node's data; undefined for anything that is not one (the override is then ignored). */
export function parseTtlOverride(data: string | null | undefined): TtlOverride | undefined {
  if (data === null || data === undefined) return undefined;
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    json = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const ttl = json['ttl'];
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0) return undefined;
  const out: TtlOverride = { ttl, requestedAt: typeof json['requestedAt'] === 'number' ? json['requestedAt'] : 0 };
  if (typeof json['effectiveAt'] === 'number') out.effectiveAt = json['effectiveAt'];
  if (typeof json['by'] === 'string') out.by = json['by'];
  return out;
}

/** Every override in a snapshot of TTL_ROOT: domain → TTL cap in seconds. */
export function ttlCaps(snapshot: Snapshot | undefined): Map<string, number> {
  const caps = new Map<string, number>();
  for (const node of snapshot?.values() ?? []) {
    if (node.path.length <= TTL_ROOT.length) continue;
    const o = parseTtlOverride(node.data);
    if (o) caps.set(pathToDomain(node.path.slice(TTL_ROOT.length)), o.ttl);
  }
  return caps;
}

/**
 * Pure: how long (ms) a client may still hold a record of an instance that
 * every nameserver stopped serving at `absentAt`. Without an effective
 * override, the record's full TTL. With one, answers handed out before
 * `effectiveAt` carry the full TTL and expire by effectiveAt + full; later
 * ones carry the override: the longer of the two, never more than full.
 */
export function clientHoldMs(override: TtlOverride | undefined, fullMs: number, absentAt: number): number {
  if (override?.effectiveAt === undefined || override.effectiveAt > absentAt) return fullMs;
  const fastMs = override.ttl * 1000;
  if (fastMs >= fullMs) return fullMs;
  return Math.min(fullMs, Math.max(fastMs, override.effectiveAt + fullMs - absentAt));
}

/** Reads the override and returns `clientHoldMs`; the full TTL when the registry cannot say within `timeoutMs`. */
export async function readClientHoldMs(store: Store, domain: string, fullMs: number, absentAt: number, timeoutMs = 2000): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, timeoutMs, undefined); });
  try {
    const node = await Promise.race([store.get(ttlOverridePath(domain)), late]);
    return node === undefined ? fullMs : clientHoldMs(parseTtlOverride(node.data), fullMs, absentAt);
  } catch {
    return fullMs;
  } finally {
    clearTimeout(timer);
  }
}
