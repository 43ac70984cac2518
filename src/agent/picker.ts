// Backend choice as pure functions over an immutable snapshot. The snapshot
// is rebuilt whenever membership or health changes (or an ejection runs
// out); picking itself only reads it and the candidates' live counters.
import { inPanic, type EjectionPolicy } from './ejection.ts';
import { currentLatency, type LatencyState } from './peak-ewma.ts';
import { rampShare } from './slow-start.ts';

export interface Candidate {
  readonly key: string;
  readonly priority: number;
  readonly weight: number;
  /** Requests in flight on this backend. */
  readonly outstanding: number;
  readonly latency: LatencyState;
  /** Ejected (passive health) until this Date.now(); 0 when not ejected. */
  readonly ejectedUntil: number;
  /** Active health: false after failed pings. */
  readonly healthy: boolean;
  /** performance.now() when its slow start began; negative when it is not ramping. */
  readonly rampFrom: number;
}

export interface PickerSnapshot<C extends Candidate> {
  /** The members requests go to: the lowest usable priority group (all of it in panic). */
  readonly members: readonly C[];
  /** Cumulative effective weights of `members`, or null when they are all equal. */
  readonly cumulative: Float64Array | null;
  readonly panic: boolean;
  /** Every backend, lowest priority first, for retries that must avoid some. */
  readonly all: readonly C[];
  /** Date.now() at which an ejection or a slow start runs out and the snapshot must be rebuilt. */
  readonly validUntil: number;
  /** Some member is in its slow start. */
  readonly ramping: boolean;
}

export interface PickOptions {
  /** Weigh outstanding requests by Peak-EWMA latency. */
  readonly latency: boolean;
  readonly decayMs: number;
  /** Slow start window (ms); 0: none. */
  readonly slowStartMs: number;
}

/** SRV weight 0 means "rarely" (RFC 2782), not "never". */
export function effectiveWeight(weight: number): number {
  return weight > 0 ? weight : 0.01;
}

export function isAvailable(c: Candidate, now: number): boolean {
  return c.healthy && c.ejectedUntil <= now;
}

/** `refreshAt`: a Date.now() by which the snapshot must be rebuilt anyway (a slow start ends). */
export function buildSnapshot<C extends Candidate>(entries: readonly C[], now: number, policy: EjectionPolicy, refreshAt = Infinity): PickerSnapshot<C> {
  const all = [...entries].sort((a, b) => a.priority - b.priority);
  let validUntil = refreshAt;
  for (const c of all) if (c.ejectedUntil > now) validUntil = Math.min(validUntil, c.ejectedUntil);

  let members: C[] = [];
  let panic = false;
  // Lowest priority group with an available member wins; if none has one,
  // the lowest group is used whole (panic).
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.priority === all[i]!.priority) j++;
    const group = all.slice(i, j);
    const available = group.filter((c) => isAvailable(c, now));
    if (available.length > 0) {
      panic = inPanic(policy, available.length, group.length);
      members = panic ? group : available;
      break;
    }
    i = j;
  }
  if (members.length === 0 && all.length > 0) {
    const lowest = all[0]!.priority;
    members = all.filter((c) => c.priority === lowest);
    panic = true;
  }
  return { members, cumulative: cumulativeWeights(members), panic, all, validUntil, ramping: members.some((c) => c.rampFrom >= 0) };
}

function cumulativeWeights(members: readonly Candidate[]): Float64Array | null {
  const first = members[0]?.weight;
  if (members.every((c) => c.weight === first)) return null;
  const out = new Float64Array(members.length);
  let sum = 0;
  members.forEach((c, i) => (out[i] = sum += effectiveWeight(c.weight)));
  return out;
}

const NEW_BACKEND_PENALTY = 1e9;
/** Below this (ms), latency differences are scheduling noise (loopback, idle processes). */
const LATENCY_FLOOR_MS = 1;

/** Lower is better: outstanding requests (+1 for this one), by latency squared, per unit of weight. */
export function cost(c: Candidate, now: number, opts: PickOptions): number {
  const load = c.outstanding + 1;
  if (!opts.latency) return load / effectiveWeight(c.weight);
  const latency = currentLatency(c.latency, now, opts.decayMs);
  // No sample yet: try it once, but do not pile requests onto it before the first answer.
  if (latency === 0) return c.outstanding === 0 ? 0 : NEW_BACKEND_PENALTY + load;
  // Squared: Peak-EWMA's plain product equalises the expected wait, which
  // still leaves a few percent of requests on a 5-20× slower backend — the
  // whole p99. Squaring the latency keeps it to a trickle.
  const l = Math.max(latency, LATENCY_FLOOR_MS);
  return (l * l * load) / effectiveWeight(c.weight);
}

/**
 * Power of two choices. With equal weights the first candidate comes from a
 * rotating cursor (so ties spread round-robin) and the second at random;
 * otherwise both are drawn in proportion to weight.
 */
export function pick<C extends Candidate>(s: PickerSnapshot<C>, seq: number, random: () => number, now: number, opts: PickOptions): C | undefined {
  const m = s.members;
  const n = m.length;
  if (n <= 1) return m[0];
  let a: number;
  let b: number;
  if (s.cumulative === null) {
    a = seq % n;
    b = Math.floor(random() * (n - 1));
    if (b >= a) b++;
  } else {
    a = weightedIndex(s.cumulative, random());
    b = weightedIndex(s.cumulative, random());
    if (a === b) b = (a + 1 + Math.floor(random() * (n - 1))) % n;
  }
  const ca = m[a]!;
  const cb = m[b]!;
  if (s.ramping) {
    // A backend in its slow start stands as a candidate only with its
    // current share's probability: its traffic is that share of what it
    // would get, at any load (scaling its weight instead would starve it
    // at low concurrency, where both candidates are idle).
    const inA = admitted(ca, now, opts.slowStartMs, random);
    if (inA !== admitted(cb, now, opts.slowStartMs, random)) return inA ? ca : cb;
  }
  return better(ca, cb, now, opts);
}

function admitted(c: Candidate, now: number, windowMs: number, random: () => number): boolean {
  return c.rampFrom < 0 || random() < rampShare(now - c.rampFrom, windowMs);
}

/**
 * Latencies of equal backends differ by noise; letting noise decide would
 * send most requests to whichever looked fastest lately. So latencies within
 * this factor of each other count as equal, and outstanding requests (per
 * unit of weight) alone decide. A backend 20× slower is far outside it.
 */
const LATENCY_TOLERANCE = 2;

function better<C extends Candidate>(a: C, b: C, now: number, opts: PickOptions): C {
  if (opts.latency) {
    const la = Math.max(currentLatency(a.latency, now, opts.decayMs), LATENCY_FLOOR_MS);
    const lb = Math.max(currentLatency(b.latency, now, opts.decayMs), LATENCY_FLOOR_MS);
    if (lb > la * LATENCY_TOLERANCE || la > lb * LATENCY_TOLERANCE) return cost(b, now, opts) < cost(a, now, opts) ? b : a;
  }
  return (b.outstanding + 1) / effectiveWeight(b.weight) < (a.outstanding + 1) / effectiveWeight(a.weight) ? b : a;
}

function weightedIndex(cumulative: Float64Array, r: number): number {
  const target = r * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * For a retry: the best backend not yet tried, preferring the snapshot's
 * members, then available backends of any priority, then any at all.
 */
export function pickExcluding<C extends Candidate>(s: PickerSnapshot<C>, tried: readonly C[], random: () => number, now: number, opts: PickOptions): C | undefined {
  const fresh = (c: C): boolean => !tried.includes(c);
  const pools = [s.members.filter(fresh), s.all.filter((c) => fresh(c) && isAvailable(c, now)), s.all.filter(fresh)];
  for (const pool of pools) {
    if (pool.length === 0) continue;
    const sub: PickerSnapshot<C> = { members: pool, cumulative: cumulativeWeights(pool), panic: s.panic, all: s.all, validUntil: s.validUntil, ramping: s.ramping };
    return pick(sub, Math.floor(random() * pool.length), random, now, opts);
  }
  return undefined;
}
