/**
 * A retry budget over time, as Finagle's works: every request deposits
 * `ratio` of a retry, every retry withdraws one, and both expire after
 * `windowMs`; on top, `floorPerSecond` retries per second of the window are
 * always allowed. So over any window, retries ≤ floor × window + ratio ×
 * requests: when every backend fails, a client adds a bounded share of load
 * instead of multiplying it; when one backend dies, the retries of the
 * requests that were on it draw on the whole window's deposits, not on
 * what happens to be in flight at that instant.
 *
 * Deposits and withdrawals are counted in BUCKETS slices of the window; the
 * oldest slice expires whole, so the window is between (BUCKETS − 1) /
 * BUCKETS and 1 times `windowMs`. The request path only bumps a counter
 * (and turns the ring when a slice has ended).
 */
const BUCKETS = 10;

export class RetryBudget {
  readonly ratio: number;
  readonly floorPerSecond: number;
  readonly windowMs: number;
  /** Retries refused because the budget was spent (since creation). */
  exhausted = 0;
  readonly #sliceMs: number;
  readonly #reserve: number;
  readonly #deposits = new Float64Array(BUCKETS);
  readonly #withdrawals = new Float64Array(BUCKETS);
  #index = 0;
  /** performance.now() at which the current slice ends. */
  #sliceEnd: number;
  /** Deposits of the current slice (kept out of the array: the request path only bumps this). */
  #current = 0;
  /** Deposits of the other slices still in the window. */
  #deposited = 0;
  #withdrawn = 0;

  constructor(ratio: number, floorPerSecond: number, windowMs: number, now: number) {
    this.ratio = ratio;
    this.floorPerSecond = floorPerSecond;
    this.windowMs = windowMs;
    this.#sliceMs = windowMs / BUCKETS;
    this.#reserve = (floorPerSecond * windowMs) / 1000;
    this.#sliceEnd = now + this.#sliceMs;
  }

  /** A request started (its first attempt); `now` is performance.now(). */
  deposit(now: number): void {
    if (now >= this.#sliceEnd) this.#turn(now);
    this.#current++;
  }

  /** Takes one retry if the window's balance allows it. */
  tryWithdraw(now: number): boolean {
    if (now >= this.#sliceEnd) this.#turn(now);
    if (this.balance() >= 1) {
      this.#withdrawals[this.#index]!++;
      this.#withdrawn++;
      return true;
    }
    this.exhausted++;
    return false;
  }

  /** Retries the budget would allow now (as of the last deposit or withdrawal). */
  balance(): number {
    return this.#reserve + this.ratio * (this.#deposited + this.#current) - this.#withdrawn;
  }

  /** Requests and retries counted in the current window. */
  window(now: number): { requests: number; retries: number } {
    if (now >= this.#sliceEnd) this.#turn(now);
    return { requests: this.#deposited + this.#current, retries: this.#withdrawn };
  }

  /** Expires every slice that ended by `now`, oldest first. */
  #turn(now: number): void {
    this.#deposits[this.#index] = this.#current;
    this.#deposited += this.#current;
    this.#current = 0;
    const slices = Math.min(BUCKETS, Math.floor((now - this.#sliceEnd) / this.#sliceMs) + 1);
    for (let i = 0; i < slices; i++) {
      this.#index = (this.#index + 1) % BUCKETS;
      this.#deposited -= this.#deposits[this.#index]!;
      this.#withdrawn -= this.#withdrawals[this.#index]!;
      this.#deposits[this.#index] = 0;
      this.#withdrawals[this.#index] = 0;
    }
    this.#sliceEnd += Math.floor((now - this.#sliceEnd) / this.#sliceMs + 1) * this.#sliceMs;
  }
}
