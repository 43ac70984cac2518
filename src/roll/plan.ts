import { domainToPath } from '../registry/index.ts';
import type { MinAvailable } from './budget.ts';

// A roll's state lives in the registry, so `herald roll --continue` picks up
// after the roll process died:
//   /herald/roll/<domain path>             the plan (persistent)
//   /herald/roll/<domain path>/<instance>  that instance's progress (persistent)

export const ROLL_ROOT = '/herald/roll';

export function planPath(domain: string): string {
  return `${ROLL_ROOT}${domainToPath(domain)}`;
}

export function progressPath(domain: string, instance: string): string {
  return `${planPath(domain)}/${instance}`;
}

export interface RollPlan {
  id: string;
  domain: string;
  /** In update order. */
  instances: string[];
  command: string[];
  parallel: number;
  minAvailable?: MinAvailable;
  soakMs: number;
  timeoutMs: number;
  fastTtl?: number;
  onFailure: 'stay-drained' | 'resume';
  nameservers: string[];
  startedAt: number;
  by: string;
  /** Set when the roll ended: every instance done, or the failure that stopped it. */
  finished?: { at: number; ok: boolean; reason?: string };
}

/**
 * One instance through the roll:
 *   waiting → draining → updating → returning → soaking → done
 *                              any of them → failed
 */
export type Step = 'waiting' | 'draining' | 'updating' | 'returning' | 'soaking' | 'done' | 'failed';

export interface InstanceProgress {
  step: Step;
  /** When this step began (`Date.now()` ms). */
  at: number;
  /** The instance's address as registered before its drain (`{address}`, HERALD_ADDRESS). */
  address?: string | null;
  /** The drain's phase while draining (`absent`, `ttl`, ...). */
  phase?: string;
  /** How long its drain waited out client caches (the TTL phase, margin included). */
  drainTtlMs?: number;
  /** Why it failed. */
  reason?: string;
  /** The step it failed in. */
  failedIn?: Step;
  /** CMD ran to exit 0 (set before `returning`): a continued roll never runs it again. */
  updated?: boolean;
  /** Durations of finished steps, ms. */
  took?: Partial<Record<Step, number>>;
}

export function parseJson<T>(data: string | null | undefined): T | undefined {
  if (data === null || data === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(data);
    return typeof v === 'object' && v !== null ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Pure: the next step's progress, with the time the current one took. */
export function advance(p: InstanceProgress, step: Step, now: number, extra: Partial<InstanceProgress> = {}): InstanceProgress {
  const took = { ...p.took, [p.step]: now - p.at };
  const { phase: _phase, ...rest } = p;
  return { ...rest, ...extra, step, at: now, took };
}

/**
 * Pure: where a continued roll starts each instance. `done` stays done;
 * an instance caught mid-update (its CMD may or may not have finished) is
 * reported, never re-run; one caught draining or returning picks up there.
 */
export function resumePoint(p: InstanceProgress | undefined): { step: Step; interrupted?: string } {
  if (!p) return { step: 'waiting' };
  switch (p.step) {
    case 'done':
      return { step: 'done' };
    case 'updating':
      return { step: 'failed', interrupted: 'the roll stopped while CMD ran; whether it finished is unknown (CMD is not run twice)' };
    case 'returning':
    case 'soaking':
      return { step: 'returning' };
    case 'failed':
      // Asked again after a failure was reported: start it over, unless CMD already succeeded.
      return { step: p.updated ? 'returning' : 'waiting' };
    default:
      return { step: p.step === 'draining' ? 'draining' : 'waiting' };
  }
}
