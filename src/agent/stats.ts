import type { BackendEntry } from './backend-entry.ts';
import { rampShare } from './slow-start.ts';

export interface BackendStats {
  key: string;
  address: string;
  port: number;
  priority: number;
  weight: number;
  /** Attempts in flight now. */
  inFlight: number;
  /** Attempts sent to it (retries included). */
  requests: number;
  /** Failed attempts: connect or transport errors and 5xx. */
  errors: number;
  /** Attempts that failed here and were retried elsewhere. */
  retries: number;
  ejections: number;
  ejected: boolean;
  /** Active health; true when no ping is configured. */
  healthy: boolean;
  /** Peak-EWMA latency to response headers (ms). */
  latencyMs: number;
  /** The share of its traffic it gets while in its slow start (1 when not ramping). */
  slowStartShare: number;
}

export interface AgentStats {
  backends: BackendStats[];
  /** Requests that ended with a response, or with an error (no backends included). */
  requests: { ok: number; failed: number; noBackends: number; retries: number };
  /**
   * The retry budget: retries it would allow now, the requests and retries
   * counted in its window, and retries it refused since the agent started.
   */
  budget: { balance: number; requests: number; retries: number; exhausted: number };
  /** The chosen priority group is below the panic threshold: health is ignored. */
  panic: boolean;
}

/** `now` is Date.now(), `perfNow` performance.now(), `slowStartMs` the ramp window. */
export function backendStats(e: BackendEntry, now: number, perfNow: number, slowStartMs: number): BackendStats {
  return {
    key: e.key,
    address: e.backend.address,
    port: e.backend.port,
    priority: e.priority,
    weight: e.weight,
    inFlight: e.outstanding,
    requests: e.requests,
    errors: e.errors,
    retries: e.retries,
    ejections: e.ejections,
    ejected: e.ejectedUntil > now,
    healthy: e.healthy,
    latencyMs: e.latency.ewma,
    slowStartShare: e.rampFrom < 0 ? 1 : rampShare(perfNow - e.rampFrom, slowStartMs),
  };
}
