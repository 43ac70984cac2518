import type { ResourceRecord } from '../dns/index.ts';
import type { Answer } from './answer.ts';

/** The cap for `name`: the override of the name itself or of its nearest ancestor that has one. */
function capFor(caps: ReadonlyMap<string, number>, name: string): number | undefined {
  for (let at = 0; ; ) {
    const cap = caps.get(at === 0 ? name : name.slice(at));
    if (cap !== undefined) return cap;
    const dot = name.indexOf('.', at);
    if (dot < 0) return undefined;
    at = dot + 1;
  }
}

const capped = (caps: ReadonlyMap<string, number>, list: ResourceRecord[]): ResourceRecord[] =>
  list.map((r) => {
    const cap = capFor(caps, r.name.toLowerCase());
    return cap !== undefined && r.ttl > cap ? { ...r, ttl: cap } : r;
  });

/**
 * Herald's TTL overrides (src/drain/ttl-override.ts): every record at or
 * under an overridden domain carries at most its cap. Pure; an empty map
 * returns the answer as it is.
 */
export function capTtls(a: Answer, caps: ReadonlyMap<string, number>): Answer {
  if (caps.size === 0) return a;
  return { ...a, answers: capped(caps, a.answers), authorities: capped(caps, a.authorities), additionals: capped(caps, a.additionals) };
}
