import { BudgetSpecError } from './errors.ts';

/** `--min-available N|P%`: how many instances must stay available while some are updated. */
export type MinAvailable = { count: number } | { percent: number };

export function parseMinAvailable(text: string): MinAvailable {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) throw new BudgetSpecError(text);
  const n = Number(m[1]);
  if (m[2] === '%') {
    if (n > 100) throw new BudgetSpecError(text);
    return { percent: n };
  }
  if (!Number.isInteger(n)) throw new BudgetSpecError(text);
  return { count: n };
}

export function formatMinAvailable(spec: MinAvailable): string {
  return 'count' in spec ? String(spec.count) : `${spec.percent}%`;
}

/**
 * Pure: how many of `total` instances must be available. A percentage rounds
 * up (66% of 3 is 2 — never fewer than asked). Without a spec: all but the
 * `parallel` being updated.
 */
export function requiredAvailable(spec: MinAvailable | undefined, total: number, parallel: number): number {
  if (spec === undefined) return Math.max(0, total - parallel);
  if ('count' in spec) return spec.count;
  return Math.ceil((spec.percent / 100) * total - 1e-9);
}

export interface BudgetVerdict {
  allowed: boolean;
  /** Available now, not counting the one to take out. */
  availableAfter: number;
  required: number;
  /** For people: `2 of 3 available; taking web-2 out leaves 1, below the 2 required`. */
  why: string;
}

/**
 * Pure: may `instance` be taken out now? `available` are the instances
 * registered, healthy and served by every nameserver.
 */
export function judgeBudget(instance: string, available: readonly string[], total: number, required: number): BudgetVerdict {
  const availableAfter = available.filter((a) => a !== instance).length;
  const allowed = availableAfter >= required;
  const why = `${available.length} of ${total} available; taking ${instance} out leaves ${availableAfter}, ${allowed ? 'at least' : 'below'} the ${required} required`;
  return { allowed, availableAfter, required, why };
}
