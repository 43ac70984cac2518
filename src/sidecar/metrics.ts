import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SessionState } from '../registry/index.ts';
import type { SidecarState, SidecarStatus } from '../drain/index.ts';
import type { DrainPhase } from '../drain/index.ts';

const STATES: readonly SidecarState[] = ['starting', 'unhealthy', 'registered', 'draining', 'drained', 'stopping', 'stopped'];
const PHASES: readonly DrainPhase[] = ['removing', 'absent', 'ttl', 'in-flight', 'drained', 'deadline'];
const SESSIONS: readonly SessionState[] = ['connecting', 'connected', 'disconnected', 'expired', 'closed'];

/**
 * The sidecar's Prometheus metrics, `herald_sidecar_*`, in a registry of
 * their own (several sidecars may share a process: tests, the demo).
 */
export class SidecarMetrics {
  readonly registry: Registry;
  readonly healthy: Gauge;
  readonly registered: Gauge;
  readonly draining: Gauge;
  readonly checks: Counter<'result'>;
  readonly checkSeconds: Histogram;
  readonly transitions: Counter<'to'>;
  readonly registryErrors: Counter;
  readonly leftoversReplaced: Counter;
  readonly drains: Counter<'outcome'>;
  readonly drainPhaseSeconds: Histogram<'phase'>;
  readonly inFlight: Gauge;
  readonly state: Gauge<'state'>;
  readonly drainPhase: Gauge<'phase'>;
  readonly session: Gauge<'state'>;

  constructor(labels: { domain: string; instance: string }, registry = new Registry()) {
    this.registry = registry;
    registry.setDefaultLabels(labels);
    const registers = [registry];
    this.healthy = new Gauge({ name: 'herald_sidecar_healthy', help: '1 while the health check has risen, 0 after it has fallen', registers });
    this.registered = new Gauge({ name: 'herald_sidecar_registered', help: '1 while every host node exists in the registry', registers });
    this.draining = new Gauge({ name: 'herald_sidecar_draining', help: '1 while a drain intent is in force (draining or drained)', registers });
    this.checks = new Counter({ name: 'herald_sidecar_health_checks_total', help: 'Health check runs by result', labelNames: ['result'], registers });
    this.checkSeconds = new Histogram({ name: 'herald_sidecar_health_check_seconds', help: 'Health check run time', buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers });
    this.transitions = new Counter({ name: 'herald_sidecar_health_transitions_total', help: 'Rise (up) and fall (down) transitions', labelNames: ['to'], registers });
    this.registryErrors = new Counter({ name: 'herald_sidecar_registry_errors_total', help: 'Failed registry writes (retried with backoff)', registers });
    this.leftoversReplaced = new Counter({ name: 'herald_sidecar_leftovers_replaced_total', help: "Ephemeral nodes of this instance's previous session replaced", registers });
    this.drains = new Counter({ name: 'herald_sidecar_drains_total', help: 'Finished drains by outcome (drained, deadline, cancelled)', labelNames: ['outcome'], registers });
    this.drainPhaseSeconds = new Histogram({ name: 'herald_sidecar_drain_phase_seconds', help: 'Time spent in each drain phase', labelNames: ['phase'], buckets: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300], registers });
    this.inFlight = new Gauge({ name: 'herald_sidecar_in_flight', help: 'Last in-flight count seen while draining', registers });
    // One series per value, 1 for the current one: an operator's "what is it doing" at a glance.
    this.state = new Gauge({ name: 'herald_sidecar_state', help: 'The published status: 1 for the current state', labelNames: ['state'], registers });
    this.drainPhase = new Gauge({ name: 'herald_sidecar_drain_phase', help: 'The drain shown in the status: 1 for its current phase (all 0 without one)', labelNames: ['phase'], registers });
    this.session = new Gauge({ name: 'herald_sidecar_registry_session', help: 'The registry session: 1 for its current state', labelNames: ['state'], registers });
    this.observeStatus(undefined);
    this.observeSession('connecting');
  }

  /** Sets the state and drain-phase gauges from a published status. */
  observeStatus(status: SidecarStatus | undefined): void {
    for (const s of STATES) this.state.set({ state: s }, status?.state === s ? 1 : 0);
    for (const p of PHASES) this.drainPhase.set({ phase: p }, status?.drain?.phase === p ? 1 : 0);
  }

  observeSession(state: SessionState): void {
    for (const s of SESSIONS) this.session.set({ state: s }, state === s ? 1 : 0);
  }
}
