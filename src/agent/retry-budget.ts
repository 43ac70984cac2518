/**
 * A retry budget over live requests: retries in flight may be at most
 * `ratio` of the requests in flight, or `floor`, whichever is larger. When
 * every backend fails, this keeps the load a client adds by retrying to a
 * bounded share instead of multiplying it.
 */
export class RetryBudget {
  readonly ratio: number;
  readonly floor: number;
  /** Requests in flight (first attempts and retries). */
  live = 0;
  /** Requests in flight that are on a retry. */
  retrying = 0;
  /** Retries refused because the budget was spent. */
  exhausted = 0;

  constructor(ratio: number, floor: number) {
    this.ratio = ratio;
    this.floor = floor;
  }

  /** Takes a retry token if the budget allows; `release()` it when the request ends. */
  tryAcquire(): boolean {
    if (this.retrying < Math.max(this.floor, this.ratio * this.live)) {
      this.retrying++;
      return true;
    }
    this.exhausted++;
    return false;
  }

  release(): void {
    this.retrying--;
  }
}
