import type { BackendEntry } from './backend-entry.ts';
import { probeDelay } from './ejection.ts';

/**
 * Probes ejected backends back: the first probe about a second after the
 * ejection, then at doubling intervals up to a cap, until one passes (then
 * `onPass` readmits the backend at once) or the backend is readmitted,
 * removed or the set closes. A crashed instance that restarted without
 * leaving DNS is back in seconds instead of after its whole ejection.
 */
export class ProbeBack {
  readonly #probe: (entry: BackendEntry) => Promise<boolean>;
  readonly #onPass: (entry: BackendEntry) => void;
  readonly #timers = new Map<BackendEntry, NodeJS.Timeout>();
  #stopped = false;

  constructor(probe: (entry: BackendEntry) => Promise<boolean>, onPass: (entry: BackendEntry) => void) {
    this.#probe = probe;
    this.#onPass = onPass;
  }

  /** Starts probing `entry` (just ejected); a probe series already running goes on. */
  watch(entry: BackendEntry): void {
    if (this.#stopped || this.#timers.has(entry)) return;
    this.#schedule(entry, 0);
  }

  /** Stops probing one backend (removed by the source). */
  forget(entry: BackendEntry): void {
    clearTimeout(this.#timers.get(entry));
    this.#timers.delete(entry);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #schedule(entry: BackendEntry, attempt: number): void {
    const timer = setTimeout(() => {
      if (!this.#wanted(entry)) return this.forget(entry);
      void this.#probe(entry).then((ok) => {
        if (!this.#wanted(entry) || this.#timers.get(entry) !== timer) return;
        if (ok) {
          this.#timers.delete(entry);
          this.#onPass(entry);
        } else {
          this.#schedule(entry, attempt + 1);
        }
      });
    }, probeDelay(attempt, Math.random()));
    // Probes alone never keep a process alive.
    timer.unref();
    this.#timers.set(entry, timer);
  }

  #wanted(entry: BackendEntry): boolean {
    return !this.#stopped && !entry.draining && entry.ejectedUntil > Date.now();
  }
}
