import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Check, CheckResult } from './checks.ts';
import { INITIAL_HEALTH, observe, type HealthCount, type Thresholds } from './health-counter.ts';

export interface HealthMonitorEvents {
  /** After `rise` consecutive successes (the first time: `rise` from start). */
  up: [CheckResult];
  /** After `fall` consecutive failures. */
  down: [CheckResult];
  result: [CheckResult, HealthCount];
}

/**
 * Runs a check every `interval` ms (the next run starts `interval` after the
 * previous one ended, so runs never overlap) and turns results into up/down
 * transitions with the pure counter.
 */
export class HealthMonitor extends EventEmitter<HealthMonitorEvents> {
  #check: Check;
  #interval: number;
  #thresholds: Thresholds;
  #count: HealthCount = INITIAL_HEALTH;
  #abort = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(check: Check, options: Thresholds & { interval: number }) {
    super();
    this.#check = check;
    this.#interval = options.interval;
    this.#thresholds = { rise: options.rise, fall: options.fall };
  }

  get healthy(): boolean {
    return this.#count.healthy;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const result = await this.#check();
      if (signal.aborted) return;
      const { count, transition } = observe(this.#count, result.ok, this.#thresholds);
      this.#count = count;
      this.emit('result', result, count);
      if (transition) this.emit(transition, result);
      await sleep(this.#interval, undefined, { signal }).catch(() => undefined);
    }
  }
}
