// Peak-EWMA latency: jumps up to a worse sample at once, decays slowly towards
// better ones, and decays towards zero while unobserved so that a backend
// once slow is tried again after a while.

const MIN_SAMPLE_WEIGHT = 0.1;

export interface LatencyState {
  /** Smoothed latency in ms; 0 until the first sample. */
  ewma: number;
  /** performance.now() of the last sample. */
  stamp: number;
}

export function observeLatency(state: LatencyState, sampleMs: number, now: number, decayMs: number): void {
  if (state.ewma === 0 || sampleMs > state.ewma) {
    state.ewma = sampleMs;
  } else {
    // Time-based weight, but every sample moves the average a little: under
    // heavy traffic a one-off spike would otherwise stick for the whole decay time.
    const w = Math.min(Math.exp(-(now - state.stamp) / decayMs), 1 - MIN_SAMPLE_WEIGHT);
    state.ewma = state.ewma * w + sampleMs * (1 - w);
  }
  state.stamp = now;
}

/** The latency to weigh choices by, decayed for the time since the last sample. */
export function currentLatency(state: LatencyState, now: number, decayMs: number): number {
  const idle = now - state.stamp;
  // Under load samples arrive every few ms: skip the exp() when it cannot matter.
  return idle < decayMs / 100 ? state.ewma : state.ewma * Math.exp(-idle / decayMs);
}
