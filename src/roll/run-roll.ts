import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeProgress, drainInstance, intentPath, newIntent, resumeInstance } from '../drain/index.ts';
import { acquireLease, leaseStatus, type Lease } from '../lease/index.ts';
import type { Store } from '../registry/index.ts';
import { observeService, type ServiceView } from './availability.ts';
import { waitForBudget } from './budget-wait.ts';
import type { MinAvailable } from './budget.ts';
import { runUpdate } from './command.ts';
import { RollBusyError, RollPlanError } from './errors.ts';
import { lowerTtl, removeTtlOverride } from './fast-ttl.ts';
import { advance, resumePoint, type InstanceProgress, type RollPlan, type Step } from './plan.ts';
import { clearProgress, readPlan, readProgress, writePlan, writeProgress } from './persistence.ts';

export interface RollOptions {
  store: Store;
  domain: string;
  /** Pick up the roll in the registry (after the roll process died); the rest below comes from its plan. */
  continue?: boolean;
  command?: string[];
  /** Limits and orders the instances; default: every instance of the service, by name. */
  instances?: string[];
  parallel?: number;
  minAvailable?: MinAvailable;
  soakMs?: number;
  /** Bounds each wait: the budget, the drain, the return. @default 300000 */
  timeoutMs?: number;
  fastTtl?: number;
  onFailure?: 'stay-drained' | 'resume';
  nameservers: string[];
  by: string;
  /** CMD's environment (HERALD_* added). */
  env: NodeJS.ProcessEnv;
  /** Where CMD's output goes. */
  output: NodeJS.WritableStream;
  /** Stop after the current step (Ctrl-C). */
  signal?: AbortSignal;
  /** Polling of the registry and nameservers. @default 200 */
  pollMs?: number;
  /** With `continue`: how long to wait for a dead roll's lease to be released (its session to expire). @default 60000 */
  leaseWaitMs?: number;
  onEvent?: (e: RollEvent) => void;
}

export type RollEvent =
  | { type: 'plan'; plan: RollPlan; progress: Map<string, InstanceProgress> }
  | { type: 'progress'; instance: string; progress: InstanceProgress }
  | { type: 'note'; text: string }
  | { type: 'budget'; text: string };

export interface RollSummary {
  ok: boolean;
  domain: string;
  id: string;
  /** Why the roll ended short: the failed instance and why, a stop request, ... */
  reason?: string;
  failed?: { instance: string; step: Step; reason: string };
  stopped?: boolean;
  instances: { instance: string; step: Step; reason?: string; took?: Partial<Record<Step, number>>; drainTtlMs?: number }[];
  fastTtl?: { ttl: number; honoured: boolean; note?: string };
  elapsedMs: number;
}

/** The lease two rolls of one service contend for. */
export const rollLeaseName = (domain: string): string => `roll.${domain}`;

class StepFailed extends Error {}

/**
 * The rolling update: one instance at a time (or `parallel`), each drained,
 * updated by CMD, resumed, back (registered, healthy, served by every
 * nameserver) and soaked, under the disruption budget. Holds the service's
 * roll lease throughout; plan and progress live in the registry.
 */
export async function runRoll(o: RollOptions): Promise<RollSummary> {
  const started = Date.now();
  const emit = o.onEvent ?? ((): void => undefined);
  const lease = await takeLease(o, emit);
  try {
    return await rollUnderLease(o, lease, emit, started);
  } finally {
    await lease.release().catch(() => undefined);
  }
}

async function takeLease(o: RollOptions, emit: (e: RollEvent) => void): Promise<Lease> {
  const name = rollLeaseName(o.domain);
  const holder = (await leaseStatus(o.store, name)).holder;
  const holderText = holder ? `held by ${holder.instance ?? `pid ${holder.pid ?? '?'}`} since ${holder.queuedAt ?? '?'}` : '';
  if (holder && !o.continue) throw new RollBusyError(`another herald roll of ${o.domain} is running (lease ${name} ${holderText})`);
  if (holder) emit({ type: 'note', text: `waiting for the earlier roll's lease to be released (${holderText}): a dead roll's session expires within its timeout` });
  const waitMs = holder ? (o.leaseWaitMs ?? 60_000) : 3000;
  const timeout = AbortSignal.timeout(waitMs);
  try {
    return await acquireLease(name, { store: o.store, instance: o.by, signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout });
  } catch (err) {
    if (timeout.aborted) throw new RollBusyError(`another herald roll of ${o.domain} holds lease ${name} (${holderText || 'it won the race'}); waited ${waitMs / 1000} s`);
    throw err;
  }
}

async function preparePlan(o: RollOptions, by: string): Promise<{ plan: RollPlan; progress: Map<string, InstanceProgress> }> {
  const existing = await readPlan(o.store, o.domain);
  const progress = new Map<string, InstanceProgress>();
  if (o.continue) {
    if (!existing) throw new RollPlanError(`there is no roll of ${o.domain} to continue`);
    if (existing.finished?.ok) throw new RollPlanError(`the roll of ${o.domain} started ${new Date(existing.startedAt).toISOString()} has finished (every instance updated); nothing to continue`);
    delete existing.finished;
    await writePlan(o.store, existing);
    for (const i of existing.instances) {
      const p = await readProgress(o.store, o.domain, i);
      if (p) progress.set(i, p);
    }
    return { plan: existing, progress };
  }
  if (existing && !existing.finished) {
    throw new RollPlanError(`the roll of ${o.domain} started ${new Date(existing.startedAt).toISOString()} by ${existing.by} stopped without finishing (its process died): 'herald roll --continue ${o.domain}' picks it up`);
  }
  if (!o.command?.length) throw new RollPlanError('a roll needs a command (herald roll DOMAIN -- CMD ARGS...)');
  const view = await observeService(o.store, o.domain, o.nameservers);
  const known = view.instances.map((i) => i.instance).sort();
  const instances = o.instances ?? known;
  const unknown = instances.filter((i) => !known.includes(i));
  if (unknown.length) throw new RollPlanError(`${unknown.join(', ')}: no such instance of ${o.domain} (it has ${known.join(', ') || 'none'})`);
  if (instances.length === 0) throw new RollPlanError(`${o.domain} has no instances to update`);
  const plan: RollPlan = {
    id: randomUUID(), domain: o.domain, instances, command: o.command, parallel: o.parallel ?? 1,
    soakMs: o.soakMs ?? 0, timeoutMs: o.timeoutMs ?? 300_000, onFailure: o.onFailure ?? 'stay-drained',
    nameservers: o.nameservers, startedAt: Date.now(), by,
  };
  if (o.minAvailable) plan.minAvailable = o.minAvailable;
  if (o.fastTtl !== undefined) plan.fastTtl = o.fastTtl;
  await clearProgress(o.store, o.domain);
  await writePlan(o.store, plan);
  const now = Date.now();
  for (const i of instances) {
    const p: InstanceProgress = { step: 'waiting', at: now };
    progress.set(i, p);
    await writeProgress(o.store, o.domain, i, p);
  }
  return { plan, progress };
}

async function rollUnderLease(o: RollOptions, lease: Lease, emit: (e: RollEvent) => void, started: number): Promise<RollSummary> {
  const { plan, progress } = await preparePlan(o, o.by);
  const store = o.store;
  const pollMs = o.pollMs ?? 200;
  const stop = o.signal ? AbortSignal.any([o.signal, lease.signal]) : lease.signal;
  emit({ type: 'plan', plan, progress });
  const summary: RollSummary = { ok: false, domain: plan.domain, id: plan.id, instances: [], elapsedMs: 0 };

  const set = async (instance: string, p: InstanceProgress, persist = true): Promise<void> => {
    progress.set(instance, p);
    if (persist) await writeProgress(store, plan.domain, instance, p);
    emit({ type: 'progress', instance, progress: p });
  };
  const look = (): Promise<ServiceView> => observeService(store, plan.domain, plan.nameservers);

  // A continued roll: an override left by the dead roll goes; a fresh one is set below.
  if (o.continue && (await removeTtlOverride(store, plan.domain))) emit({ type: 'note', text: 'removed the TTL override the interrupted roll had left' });
  let failure: { instance: string; step: Step; reason: string } | undefined;
  const queue: { instance: string; from: Step }[] = [];
  for (const instance of plan.instances) {
    const point = resumePoint(progress.get(instance));
    if (point.interrupted) {
      const p = advance(progress.get(instance)!, 'failed', Date.now(), { reason: point.interrupted, failedIn: 'updating' });
      await set(instance, p);
      failure ??= { instance, step: 'updating', reason: point.interrupted };
    } else if (point.step !== 'done') queue.push({ instance, from: point.step });
  }

  let overrideSet = false;
  try {
    if (!failure && queue.length && plan.fastTtl !== undefined) {
      const view = await look();
      const question = view.srv ? { name: view.srv, type: 'SRV' as const } : { name: plan.domain, type: 'A' as const };
      const fast = await lowerTtl({ store, domain: plan.domain, question, fastTtl: plan.fastTtl, nameservers: plan.nameservers, by: `herald roll ${plan.id}`, ...(o.signal ? { signal: o.signal } : {}) });
      if (fast.ok) {
        overrideSet = true;
        summary.fastTtl = { ttl: plan.fastTtl, honoured: true };
        emit({ type: 'note', text: `every nameserver answers with TTL ${plan.fastTtl}: after the first drain waits out the old TTL, each drain waits ${plan.fastTtl} s` });
      } else {
        summary.fastTtl = { ttl: plan.fastTtl, honoured: false, note: fast.reason };
        emit({ type: 'note', text: `${fast.reason}: falling back to full TTL waits` });
      }
    }

    const claimed = new Set<string>();
    let budgetLock: Promise<void> = Promise.resolve();
    let next = 0;
    const stopping = (): boolean => failure !== undefined || stop.aborted;

    const waitBudget = async (instance: string): Promise<void> => {
      const r = await waitForBudget(instance, {
        store, domain: plan.domain, nameservers: plan.nameservers, minAvailable: plan.minAvailable, parallel: plan.parallel,
        timeoutMs: plan.timeoutMs, claimed, signal: stop, onWait: (text) => emit({ type: 'budget', text }),
      });
      if (!r.allowed) throw new StepFailed(r.reason);
    };

    const one = async (instance: string, from: Step): Promise<void> => {
      let p = progress.get(instance) ?? { step: 'waiting' as Step, at: Date.now() };
      let step: Step = from;
      const to = async (s: Step, extra: Partial<InstanceProgress> = {}): Promise<void> => {
        step = s;
        p = advance(p, s, Date.now(), extra);
        await set(instance, p);
      };
      try {
        if (from === 'waiting' || from === 'draining') {
          const release = budgetLock;
          let unlock!: () => void;
          budgetLock = new Promise((r) => { unlock = r; });
          await release;
          try {
            if (from === 'waiting') await waitBudget(instance);
            claimed.add(instance);
          } finally {
            unlock();
          }
          // Its address, while it is still registered (a continued drain finds it in the progress).
          const address = p.address ?? (await look()).instances.find((i) => i.instance === instance)?.address ?? null;
          await to('draining', { address });
          let drainTtlMs: number | undefined;
          const outcome = await drainInstance(store, plan.domain, instance, {
            reason: `herald roll ${plan.id}`, by: o.by, deadlineMs: plan.timeoutMs,
            onStatus: (s) => {
              if (!s.drain) return;
              drainTtlMs = s.drain.ttlMs ?? drainTtlMs;
              void set(instance, { ...p, phase: s.drain.phase }, false);
            },
          });
          if (outcome.outcome === 'no-sidecar') throw new StepFailed(`no sidecar took the drain up${outcome.status ? ` (last state: ${outcome.status.state})` : ''}`);
          if (outcome.outcome === 'deadline') throw new StepFailed(`drain: ${outcome.status.drain ? describeProgress(outcome.status.drain, Date.now()) : 'deadline'}`);
          if (stop.aborted) throw new StepFailed('stopped after draining, before its update: left drained');
          await to('updating', drainTtlMs === undefined ? {} : { drainTtlMs });
          const failed = await runUpdate(plan.command, { domain: plan.domain, instance, address }, o.env, o.output);
          if (failed) throw new StepFailed(failed);
          await to('returning', { updated: true });
        } else {
          claimed.add(instance);
          if (p.step !== 'returning') await to('returning', { updated: true });
        }
        await resumeInstance(store, plan.domain, instance);
        // Returning is finished even when a stop is asked: an instance is never left half-back.
        const back = await waitAvailable(instance, look, plan.timeoutMs, pollMs);
        if (!back.ok) throw new StepFailed(`not back within ${plan.timeoutMs / 1000} s: ${back.why}`);
        if (plan.soakMs > 0) {
          await to('soaking');
          const soak = await holdAvailable(instance, look, plan.soakMs, pollMs);
          if (!soak.ok) throw new StepFailed(`failed during the soak: ${soak.why}`);
        }
        await to('done');
      } catch (err) {
        const reason = err instanceof StepFailed ? err.message : `${(err as Error).message}`;
        const failedIn = step;
        const stoppedHere = stop.aborted && !failure && /^stopped/.test(reason);
        await to('failed', { reason, failedIn }).catch(() => undefined);
        if (!stoppedHere) failure ??= { instance, step: failedIn, reason };
        if (plan.onFailure === 'resume' && failedIn !== 'waiting') {
          await resumeInstance(store, plan.domain, instance).catch(() => undefined);
          emit({ type: 'note', text: `${instance}: resumed after the failure (--on-failure resume)` });
        } else if (failedIn === 'returning' || failedIn === 'soaking') {
          // Resumed already, and broken: out of service again, never left in rotation broken.
          await store.putPersistent(intentPath(plan.domain, instance), JSON.stringify(newIntent(`herald roll ${plan.id}: ${reason}`, plan.timeoutMs, o.by))).catch(() => undefined);
          emit({ type: 'note', text: `${instance}: drained again after the failure` });
        }
      } finally {
        claimed.delete(instance);
      }
    };

    const worker = async (): Promise<void> => {
      while (!stopping() && next < queue.length) {
        const item = queue[next++]!;
        await one(item.instance, item.from);
      }
    };
    if (!failure) await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.parallel, queue.length)) }, worker));
  } finally {
    if (overrideSet || plan.fastTtl !== undefined) {
      if (await removeTtlOverride(store, plan.domain).catch(() => false)) emit({ type: 'note', text: 'TTL override removed: answers carry their own TTLs again' });
    }
  }

  for (const instance of plan.instances) {
    const p = progress.get(instance);
    const entry: RollSummary['instances'][number] = { instance, step: p?.step ?? 'waiting' };
    if (p?.reason) entry.reason = p.reason;
    if (p?.took) entry.took = p.took;
    if (p?.drainTtlMs !== undefined) entry.drainTtlMs = p.drainTtlMs;
    summary.instances.push(entry);
  }
  summary.ok = summary.instances.every((i) => i.step === 'done');
  if (failure) {
    summary.failed = failure;
    summary.reason = `${failure.instance} failed while ${failure.step}: ${failure.reason}${failure.step === 'waiting' ? '' : plan.onFailure === 'resume' ? ' (resumed)' : ' (left drained)'}`;
  } else if (!summary.ok) {
    summary.stopped = true;
    const left = plan.instances.filter((i) => progress.get(i)?.step === 'failed' && progress.get(i)?.failedIn !== 'waiting');
    summary.reason = `${lease.signal.aborted ? 'the roll lost its lease (registry session); stopped' : 'stopped on request'} after the current step${left.length ? `; left drained: ${left.join(', ')} ('herald roll --continue ${plan.domain}' picks up)` : `; 'herald roll --continue ${plan.domain}' picks up`}`;
  }
  summary.elapsedMs = Date.now() - started;
  // Ended (done, failed or stopped): a new roll may start; --continue still retries what is not done.
  // Only a roll that died without getting here blocks a new one.
  plan.finished = { at: Date.now(), ok: summary.ok, ...(summary.reason ? { reason: summary.reason } : {}) };
  await writePlan(store, plan).catch(() => undefined);
  return summary;
}

async function waitAvailable(instance: string, look: () => Promise<ServiceView>, timeoutMs: number, pollMs: number): Promise<{ ok: boolean; why: string }> {
  const deadline = Date.now() + timeoutMs;
  let why = 'not seen yet';
  for (;;) {
    // A failed look (the registry away for a moment) is "not yet", never a failure by itself.
    const v = (await look().catch(() => undefined))?.instances.find((i) => i.instance === instance);
    if (v?.available) return { ok: true, why: 'available' };
    why = v?.why ?? why;
    if (Date.now() >= deadline) return { ok: false, why };
    await sleep(pollMs);
  }
}

async function holdAvailable(instance: string, look: () => Promise<ServiceView>, soakMs: number, pollMs: number): Promise<{ ok: boolean; why: string }> {
  const until = Date.now() + soakMs;
  while (Date.now() < until) {
    const v = (await look()).instances.find((i) => i.instance === instance);
    if (!v?.available) return { ok: false, why: v?.why ?? 'gone from the registry' };
    await sleep(Math.min(pollMs, Math.max(0, until - Date.now())));
  }
  return { ok: true, why: 'available' };
}
