import { normalizeName } from '../dns/index.ts';
import { childPath, domainToPath, parentPath, type Store, parseRecord } from '../registry/index.ts';

/**
 * A name a nameserver must answer with data while it serves the part of the
 * registry this instance lives in. Asked in the same round as the instance's
 * own name: a nameserver that answers a witness with records and REFUSED for
 * the instance has the instance's part of the tree loaded and does not hold
 * the instance — its REFUSED means "not held", not "don't know" (binder
 * answers REFUSED both for a name it does not hold and while it is loading;
 * see README "Drain").
 */
export interface Witness {
  name: string;
  type: 'A' | 'SRV';
}

// Host types binder answers A for directly (BINDER.md §3; rr_host and ops_host are not).
const DIRECT = new Set(['host', 'db_host', 'load_balancer', 'moray_host', 'redis_host']);
/** Children read per level: enough to find a witness, bounded for a large service. */
const PER_LEVEL = 16;

const pathToName = (path: string): string => path.slice(1).split('/').reverse().join('.');

/**
 * Up to `limit` witnesses, nearest first: siblings of the instance (the other
 * children of its domain: the same parent, so the same children list the
 * nameserver loaded), then the children of each ancestor up the tree. Our
 * own nodes (the instance and its aliases) never count.
 */
export async function findWitnesses(store: Pick<Store, 'children' | 'get'>, domain: string, own: readonly string[], limit = 3): Promise<Witness[]> {
  const out: Witness[] = [];
  const skip = new Set(own);
  let level = domainToPath(domain);
  while (level !== '/' && out.length < limit) {
    for (const name of ((await store.children(level)) ?? []).slice(0, PER_LEVEL)) {
      const path = childPath(level, name);
      if (skip.has(path)) continue;
      skip.add(path);
      const witness = witnessFor(path, (await store.get(path))?.data ?? null);
      if (witness) out.push(witness);
      if (out.length >= limit) break;
    }
    skip.add(level);
    level = parentPath(level);
  }
  return out;
}

/** The question a node's record should be answered with data for, if any. */
export function witnessFor(path: string, data: string | null): Witness | undefined {
  if (data === null) return undefined;
  let record;
  try {
    record = parseRecord(data);
  } catch {
    return undefined;
  }
  let name;
  try {
    name = normalizeName(pathToName(path));
  } catch {
    return undefined; // a node name no query can carry
  }
  if (record.kind === 'host' && DIRECT.has(record.type) && record.address !== null) return { name, type: 'A' };
  // A service answers SRV with records only while it has members; one without is no witness (judged per reply).
  if (record.kind === 'service') return { name: `${record.srvce}.${record.proto}.${name}`, type: 'SRV' };
  return undefined;
}
