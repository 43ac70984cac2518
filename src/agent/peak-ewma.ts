// Peak-EWMA latency: jumps up to a worse latency at once and decays towards
// better ones. Unobserved for `decayMs`, it is unknown again and warms up
// anew, so a backend once slow is measured again. A peak must be confirmed by
// PEAK_AFTER spikes in a row: single pauses (GC, a descheduled process) are
// noise that would otherwise steer traffic away from a healthy backend.

/** Every sample moves the average at least this much (see observeLatency). */
const MIN_SAMPLE_WEIGHT = 0.1;
/** Below this elapsed fraction of decayMs, exp(-x) ≥ 1 - MIN_SAMPLE_WEIGHT: the weight is the cap. */
const CAPPED_BELOW = -Math.log(1 - MIN_SAMPLE_WEIGHT);
/**
 * The first answers of a backend pay for cold code paths and caches on both
 * sides; they are not a peak to avoid it for. Until this many samples, its
 * latency is the best one seen, and it counts as unknown when choosing.
 */
export const WARMUP_SAMPLES = 3;
/** A sample this many times the average is a spike... */
const SPIKE = 2;
/** ...and this many in a row are a peak, taken at once. */
const PEAK_AFTER = 3;

export interface LatencyState {
  /** Smoothed latency in ms; 0 until the first sample. */
  ewma: number;
  /** performance.now() of the last sample. */
  stamp: number;
  samples: number;
  /** Spikes in a row so far, each from a request sent after the previous one was seen. */
  spikes: number;
  /** performance.now() when the last counted spike was seen. */
  spikeSeenAt: number;
}

export function newLatencyState(): LatencyState {
  return { ewma: 0, stamp: 0, samples: 0, spikes: 0, spikeSeenAt: -Infinity };
}

export function observeLatency(state: LatencyState, sampleMs: number, now: number, decayMs: number): void {
  // Unobserved for the decay time, the old average says nothing, and the
  // next answers are a first backend's again (a new connection, cold code):
  // warm up anew rather than let one slow answer price it out for good.
  if (now - state.stamp > decayMs) state.samples = 0;
  state.samples++;
  const spike = state.samples > WARMUP_SAMPLES && sampleMs > SPIKE * state.ewma;
  if (!spike) {
    state.spikes = 0;
  } else if (now - sampleMs > state.spikeSeenAt) {
    // Only a request sent after the last spike was seen confirms it: when
    // this process stalls, every request in flight comes back late at once,
    // and that is one event, not several.
    state.spikes++;
    state.spikeSeenAt = now;
  }
  if (state.samples === 1) {
    state.ewma = sampleMs;
  } else if (state.samples <= WARMUP_SAMPLES) {
    state.ewma = Math.min(state.ewma, sampleMs);
  } else if (spike && state.spikes >= PEAK_AFTER) {
    state.ewma = sampleMs;
  } else {
    // Time-based weight, but every sample moves the average a little, so a
    // busy backend's average follows it within a few samples. An unconfirmed
    // spike counts as no more than SPIKE times the average.
    // exp(-x) caps at 1 - MIN_SAMPLE_WEIGHT for every x up to CAPPED_BELOW: under steady traffic (samples
    // far closer together than decayMs) that is every sample, and the exp is not computed.
    const x = (now - state.stamp) / decayMs;
    const w = x <= CAPPED_BELOW ? 1 - MIN_SAMPLE_WEIGHT : Math.min(Math.exp(-x), 1 - MIN_SAMPLE_WEIGHT);
    state.ewma = state.ewma * w + Math.min(sampleMs, SPIKE * state.ewma) * (1 - w);
  }
  state.stamp = now;
}

/** The latency to weigh choices by; 0 while unknown (warming up, or not measured for `decayMs`). */
export function currentLatency(state: LatencyState, now: number, decayMs: number): number {
  if (state.samples < WARMUP_SAMPLES || now - state.stamp > decayMs) return 0;
  return state.ewma;
}
