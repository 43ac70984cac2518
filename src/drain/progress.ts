/**
 * A drain's progress as plain data, changed only by the pure functions here:
 * published to ZooKeeper and the admin socket, shown by `herald drain`.
 *
 *   removing → absent → ttl → in-flight → drained
 *                  any of them → deadline (with the unmet condition)
 */
export type DrainPhase = 'removing' | 'absent' | 'ttl' | 'in-flight' | 'drained' | 'deadline';

/** The phases that can be left unmet when the deadline strikes. */
export type WaitPhase = 'removing' | 'absent' | 'ttl' | 'in-flight';

export type Presence = 'present' | 'absent' | 'unknown';

export interface NameserverPresence {
  nameserver: string;
  state: Presence;
  /** Why it is unknown (REFUSED, SERVFAIL, timeout) or what it still serves. */
  detail?: string;
}

export interface DrainProgress {
  phase: DrainPhase;
  reason: string;
  /** `Date.now()` ms. */
  startedAt: number;
  deadlineAt: number;
  /** When the current phase began. */
  phaseAt: number;
  /** Durations of completed phases, in order. */
  phases: { phase: WaitPhase; ms: number }[];
  removedNodes?: number;
  nameservers?: NameserverPresence[];
  /** When clients' caches have expired: confirmed absence + longest TTL + margin. */
  ttlEndsAt?: number;
  ttlMs?: number;
  inFlight?: number;
  /** Set at the deadline: the condition that was still unmet. */
  unmet?: WaitPhase;
  /** The last probe error, if the in-flight probe failed. */
  error?: string;
  endedAt?: number;
}

export function startDrain(now: number, deadlineMs: number, reason: string): DrainProgress {
  return { phase: 'removing', reason, startedAt: now, deadlineAt: now + deadlineMs, phaseAt: now, phases: [] };
}

export function isFinished(p: DrainProgress): boolean {
  return p.phase === 'drained' || p.phase === 'deadline';
}

/** Moves to `next`, recording how long the current phase took. */
export function enterPhase(p: DrainProgress, next: DrainPhase, now: number): DrainProgress {
  if (isFinished(p)) return p;
  const phases = [...p.phases, { phase: p.phase as WaitPhase, ms: now - p.phaseAt }];
  const out: DrainProgress = { ...p, phase: next, phaseAt: now, phases };
  if (next === 'drained') out.endedAt = now;
  return out;
}

/** Absence is sticky per nameserver: once one has dropped the instance, a later timeout does not undo it. */
export function mergePresence(previous: NameserverPresence[] | undefined, latest: NameserverPresence[]): NameserverPresence[] {
  return latest.map((ns) => {
    const before = previous?.find((p) => p.nameserver === ns.nameserver);
    return before?.state === 'absent' ? before : ns;
  });
}

export function absentCount(p: DrainProgress): { absent: number; total: number } {
  const list = p.nameservers ?? [];
  return { absent: list.filter((n) => n.state === 'absent').length, total: list.length };
}

export function hitDeadline(p: DrainProgress, now: number): DrainProgress {
  if (isFinished(p)) return p;
  return { ...p, phase: 'deadline', unmet: p.phase as WaitPhase, endedAt: now };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** One line saying where the drain stands: the `herald drain` display and the log. */
export function describeProgress(p: DrainProgress, now: number): string {
  switch (p.phase) {
    case 'removing':
      return 'removing the instance from the registry';
    case 'absent': {
      const { absent, total } = absentCount(p);
      const waiting = (p.nameservers ?? []).filter((n) => n.state !== 'absent').map((n) => `${n.nameserver} ${n.detail ?? n.state}`);
      return `removed (${p.removedNodes ?? 0} nodes); absent from ${absent}/${total} nameservers${waiting.length ? ` (waiting on ${waiting.join(', ')})` : ''}`;
    }
    case 'ttl':
      return `absent from every nameserver; waiting out client caches (${seconds(p.ttlMs ?? 0)}): ${Math.max(0, Math.ceil(((p.ttlEndsAt ?? now) - now) / 1000))} s left`;
    case 'in-flight':
      return `in flight: ${p.inFlight ?? '?'}${p.error ? ` (probe: ${p.error})` : ''}`;
    case 'drained':
      return `drained in ${seconds((p.endedAt ?? now) - p.startedAt)}`;
    case 'deadline':
      return `deadline after ${seconds((p.endedAt ?? now) - p.startedAt)}: ${unmetText(p)}`;
  }
}

function unmetText(p: DrainProgress): string {
  switch (p.unmet) {
    case 'removing':
      return 'the instance could not be removed from the registry';
    case 'absent': {
      const { absent, total } = absentCount(p);
      return `not yet absent from every nameserver (${absent}/${total})`;
    }
    case 'ttl':
      return 'client caches had not expired yet';
    case 'in-flight':
      return `in-flight work did not reach zero (${p.inFlight ?? '?'} left)`;
    default:
      return 'unknown';
  }
}

/** One line for a phase that has ended: what was achieved and how long it took (the non-terminal display). */
export function phaseLine(p: DrainProgress, phase: WaitPhase, ms: number): string {
  const took = seconds(ms);
  switch (phase) {
    case 'removing':
      return `removed from the registry (${p.removedNodes ?? 0} nodes) in ${took}`;
    case 'absent': {
      const { absent, total } = absentCount(p);
      return `absent from ${absent}/${total} nameservers after ${took}`;
    }
    case 'ttl':
      return `client caches expired (longest TTL + margin ${seconds(p.ttlMs ?? 0)}) after ${took}`;
    case 'in-flight':
      return `no work in flight after ${took}`;
  }
}
