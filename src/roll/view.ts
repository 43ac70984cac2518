import type { InstanceProgress, Step } from './plan.ts';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const WORD: Record<Step, string> = {
  waiting: 'waiting', draining: 'draining', updating: 'updating (CMD running)', returning: 'returning (resumed; waiting until registered, healthy and served everywhere)',
  soaking: 'soaking', done: 'done', failed: 'FAILED',
};

/** Pure: one line for where an instance stands: the non-terminal output (one per step) and each row of the live view. */
export function stepLine(instance: string, p: InstanceProgress | undefined, now: number): string {
  if (!p) return `${instance}: waiting`;
  const took = p.took ? Object.values(p.took).reduce((a, b) => a + (b ?? 0), 0) : 0;
  switch (p.step) {
    case 'draining':
      return `${instance}: draining${p.phase ? ` (${p.phase})` : ''} ${seconds(now - p.at)}`;
    case 'done':
      return `${instance}: done in ${seconds(took - (p.took?.waiting ?? 0))}`;
    case 'failed':
      return `${instance}: FAILED while ${p.failedIn ?? '?'}: ${p.reason ?? 'unknown'}`;
    case 'waiting':
      return `${instance}: waiting`;
    default:
      return `${instance}: ${WORD[p.step]} ${seconds(now - p.at)}`;
  }
}

/** Pure: the live view of the plan: a row per instance, then the latest note. */
export function renderPlan(instances: readonly string[], progress: ReadonlyMap<string, InstanceProgress>, now: number, note: string): string[] {
  const rows = instances.map((i) => `  ${stepLine(i, progress.get(i), now)}`);
  const done = instances.filter((i) => progress.get(i)?.step === 'done').length;
  return [`roll: ${done}/${instances.length} done`, ...rows, ...(note ? [`  ${note}`] : [])];
}
