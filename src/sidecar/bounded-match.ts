import type { Worker } from 'node:worker_threads';

// A health check's pattern comes from a config file: one with catastrophic
// backtracking (`^(a+)+$` on "aaaa…!") would hold the event loop for minutes,
// and with it the admin socket, the registry session and the drain. So
// patterns run in a worker thread, and a match that takes longer than its
// bound terminates the worker (V8 interrupts a running regular expression).
//
// The worker's code is inline (`eval: true`), so it works from a bundle and
// a single executable, where there is no separate file to load.
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, pattern, flags, text }) => {
  try {
    parentPort.postMessage({ id, found: new RegExp(pattern, flags).test(text) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message) });
  }
});
`;

export type MatchOutcome = { found: boolean } | { timedOut: true } | { error: string };

interface Pending {
  resolve: (outcome: MatchOutcome) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Runs regular expressions off the event loop, each bounded in time. One
 * worker, started on first use and kept (unref'd: it never holds a process
 * open); a match past its bound ends the worker and the next starts a new one.
 */
export class BoundedMatcher {
  #worker: Worker | undefined;
  /** Resolves once the current worker runs code: its start-up is not the pattern's time. */
  #online: Promise<void> = Promise.resolve();
  #pending = new Map<number, Pending>();
  #nextId = 1;

  match(pattern: string, flags: string | undefined, text: string, timeoutMs: number): Promise<MatchOutcome> {
    const worker = this.#ensure();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const pending: Pending = { resolve, timer: undefined };
      this.#pending.set(id, pending);
      worker.ref();
      worker.postMessage({ id, pattern, flags, text });
      void this.#online.then(() => {
        if (this.#pending.get(id) !== pending) return;
        pending.timer = setTimeout(() => {
          this.#pending.delete(id);
          resolve({ timedOut: true });
          // Every other match in this worker is queued behind the runaway one: end them too.
          this.#reset(worker, { timedOut: true });
        }, timeoutMs);
      });
    });
  }

  /** Ends the worker; pending matches resolve as timed out. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker) this.#reset(worker, { timedOut: true });
    await worker?.terminate();
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    // Loaded here, by the first match: a check without stdoutMatch/bodyMatch never loads worker_threads.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    const worker = new Worker(WORKER_CODE, { eval: true });
    this.#online = new Promise((resolve) => worker.once('online', resolve));
    worker.on('message', (m: { id: number; found?: boolean; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m.error !== undefined ? { error: m.error } : { found: m.found === true });
      if (this.#pending.size === 0) worker.unref();
    });
    worker.on('error', (err) => this.#reset(worker, { error: err.message }));
    worker.on('exit', () => this.#reset(worker, { error: 'the matching thread exited' }));
    this.#worker = worker;
    return worker;
  }

  #reset(worker: Worker, outcome: MatchOutcome): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.resolve(outcome);
    }
    this.#pending.clear();
    void worker.terminate();
  }
}

/** The process's matcher: one thread for every check in it. */
export const boundedMatcher = new BoundedMatcher();
