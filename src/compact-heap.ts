import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
let collect: Collect | undefined;

/**
 * One full, compacting collection of this thread's heap, now. V8's
 * last-resort flavour also gives back the pages the heap grew into and
 * shrinks the young generation, where V8 on its own keeps them for good in
 * a thread that goes quiet. For the moment a burst of work ends: `herald
 * serve` after a large sync (server/heap-settle.ts), `herald sidecar` once
 * started. `gc` is not exposed by default: the flag is set at run time and
 * the function taken from a fresh context (a worker started after that has
 * it as a global already).
 */
export function compactHeap(): void {
  if (!collect) {
    const global = (globalThis as { gc?: Collect }).gc;
    if (global) collect = global;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collect;
    }
  }
  collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
