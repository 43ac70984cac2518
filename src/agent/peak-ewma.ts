// Peak-EWMA latency: jumps up to a worse latency at once, decays towards
// better ones, and decays towards zero while unobserved so that a backend
// once slow is tried again after a while. A peak must be confirmed by a
// second spike in a row: a single pause (GC, a page fault) is noise
// that would otherwise steer traffic away from a healthy backend for seconds.

/** Every sample moves the average at least this much (see observeLatency). */
const MIN_SAMPLE_WEIGHT = 0.1;
/**
 * The first answers of a backend pay for cold code paths and caches on both
 * sides; they are not a peak to avoid it for. Until this many samples, its
 * latency is the best one seen, and it counts as unknown when choosing.
 */
export const WARMUP_SAMPLES = 3;
/** A sample this many times the average is a spike: a peak only if the next one is too. */
const SPIKE = 2;

export interface LatencyState {
  /** Smoothed latency in ms; 0 until the first sample. */
  ewma: number;
  /** performance.now() of the last sample. */
  stamp: number;
  samples: number;
  /** The last sample was a spike (an unconfirmed peak). */
  spiked: boolean;
}

export function newLatencyState(): LatencyState {
  return { ewma: 0, stamp: 0, samples: 0, spiked: false };
}

export function observeLatency(state: LatencyState, sampleMs: number, now: number, decayMs: number): void {
  state.samples++;
  const spike = sampleMs > SPIKE * state.ewma;
  if (state.samples === 1) {
    state.ewma = sampleMs;
  } else if (state.samples <= WARMUP_SAMPLES) {
    state.ewma = Math.min(state.ewma, sampleMs);
  } else if (spike && state.spiked) {
    state.ewma = sampleMs;
  } else {
    // Time-based weight, but every sample moves the average a little, so a
    // busy backend's average follows it within a few samples. An unconfirmed
    // spike counts as no more than SPIKE times the average.
    const w = Math.min(Math.exp(-(now - state.stamp) / decayMs), 1 - MIN_SAMPLE_WEIGHT);
    state.ewma = state.ewma * w + Math.min(sampleMs, SPIKE * state.ewma) * (1 - w);
  }
  state.spiked = spike && state.samples > WARMUP_SAMPLES;
  state.stamp = now;
}

/** The latency to weigh choices by, decayed for the time since the last sample; 0 while unknown. */
export function currentLatency(state: LatencyState, now: number, decayMs: number): number {
  if (state.samples < WARMUP_SAMPLES) return 0;
  const idle = now - state.stamp;
  // Under load samples arrive every few ms: skip the exp() when it cannot matter.
  return idle < decayMs / 100 ? state.ewma : state.ewma * Math.exp(-idle / decayMs);
}
