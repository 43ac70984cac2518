import type { Backend } from './backend-source.ts';

export interface BackendsDiff {
  added: Backend[];
  removed: Backend[];
  /** Same key, different priority or weight. */
  changed: Backend[];
}

/** What changed between two backend lists, by key. Duplicates within a list count once. */
export function diffBackends(before: readonly Backend[], after: readonly Backend[]): BackendsDiff {
  const old = new Map<string, Backend>();
  for (const b of before) old.set(b.key, b);
  const seen = new Set<string>();
  const added: Backend[] = [];
  const changed: Backend[] = [];
  for (const b of after) {
    if (seen.has(b.key)) continue;
    seen.add(b.key);
    const was = old.get(b.key);
    if (was === undefined) added.push(b);
    else if (was.priority !== b.priority || was.weight !== b.weight) changed.push(b);
  }
  const removed = before.filter((b) => !seen.has(b.key));
  return { added, removed, changed };
}

export function isEmptyDiff(d: BackendsDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}
