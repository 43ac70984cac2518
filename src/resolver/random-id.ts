import { getRandomValues } from 'node:crypto';

const BATCH = 2048;

/**
 * Unpredictable 16-bit query IDs from the CSPRNG, drawn in batches: one
 * `getRandomValues` call per 2048 queries instead of one per query.
 */
export class RandomIds {
  #pool = new Uint16Array(BATCH);
  #next = BATCH;

  next(): number {
    if (this.#next === BATCH) {
      getRandomValues(this.#pool);
      this.#next = 0;
    }
    return this.#pool[this.#next++]!;
  }
}
