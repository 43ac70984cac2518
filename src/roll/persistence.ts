import type { Store } from '../registry/index.ts';
import { parseJson, planPath, progressPath, type InstanceProgress, type RollPlan } from './plan.ts';

/** Reads and writes a roll's plan and progress under /herald/roll (plan.ts has the layout). */
export async function readPlan(store: Store, domain: string): Promise<RollPlan | undefined> {
  return parseJson<RollPlan>((await store.get(planPath(domain)))?.data);
}

export async function writePlan(store: Store, plan: RollPlan): Promise<void> {
  await store.putPersistent(planPath(plan.domain), JSON.stringify(plan));
}

export async function readProgress(store: Store, domain: string, instance: string): Promise<InstanceProgress | undefined> {
  return parseJson<InstanceProgress>((await store.get(progressPath(domain, instance)))?.data);
}

export async function writeProgress(store: Store, domain: string, instance: string, p: InstanceProgress): Promise<void> {
  await store.putPersistent(progressPath(domain, instance), JSON.stringify(p));
}

/** Removes the progress of an earlier roll (a new plan starts from nothing). */
export async function clearProgress(store: Store, domain: string): Promise<void> {
  for (const child of (await store.children(planPath(domain))) ?? []) await store.delete(progressPath(domain, child));
}
