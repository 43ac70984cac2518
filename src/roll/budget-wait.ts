import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../registry/index.ts';
import { observeService, type InstanceView } from './availability.ts';
import { judgeBudget, requiredAvailable, type BudgetVerdict, type MinAvailable } from './budget.ts';

export interface BudgetWaitOptions {
  store: Store;
  domain: string;
  nameservers: readonly string[];
  minAvailable: MinAvailable | undefined;
  /** How many may be out at once (the default budget is all but these). */
  parallel: number;
  timeoutMs: number;
  /** Instances already being taken out by this caller: not counted as available. */
  claimed?: ReadonlySet<string>;
  signal?: AbortSignal;
  pollMs?: number;
  /** Called with each new reason to wait. */
  onWait?: (text: string) => void;
}

export type BudgetWait = { allowed: true; verdict: BudgetVerdict } | { allowed: false; reason: string };

function unavailable(list: readonly InstanceView[]): string {
  const down = list.filter((i) => !i.available).map((i) => `${i.instance} ${i.why}`);
  return down.length ? down.join('; ') : 'all available';
}

/**
 * Waits until taking `instance` out keeps at least the required number of
 * instances available (registered, healthy, served by every nameserver);
 * resolves with why not after `timeoutMs` or on `signal`.
 */
export async function waitForBudget(instance: string, o: BudgetWaitOptions): Promise<BudgetWait> {
  const deadline = Date.now() + o.timeoutMs;
  let said = '';
  for (;;) {
    const view = await observeService(o.store, o.domain, o.nameservers);
    const available = view.instances.filter((i) => i.available && !o.claimed?.has(i.instance)).map((i) => i.instance);
    const required = requiredAvailable(o.minAvailable, view.instances.length, o.parallel);
    const verdict = judgeBudget(instance, available, view.instances.length, required);
    if (verdict.allowed) return { allowed: true, verdict };
    const why = `${verdict.why} (${unavailable(view.instances)})`;
    if (why !== said) o.onWait?.(`${instance} waits for the budget: ${why}`);
    said = why;
    if (Date.now() >= deadline) return { allowed: false, reason: `disruption budget: ${why} for ${o.timeoutMs / 1000} s` };
    if (o.signal?.aborted) return { allowed: false, reason: 'stopped while waiting for the budget' };
    await sleep(Math.min(o.pollMs ?? 500, Math.max(0, deadline - Date.now())), undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
  }
}
