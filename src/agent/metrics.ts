import { Counter, Gauge, type Registry } from 'prom-client';
import type { AgentStats } from './stats.ts';

type StatsSource = { readonly name: string; stats(): AgentStats };

// One set of metric objects per registry, shared by every agent registered
// in it (prom-client refuses a name twice); values are read from each
// agent's stats() at scrape time, so the request path never touches them.
const perRegistry = new WeakMap<Registry, Set<StatsSource>>();

export function registerMetrics(registry: Registry, source: StatsSource): () => void {
  let sources = perRegistry.get(registry);
  if (!sources) {
    const s = new Set<StatsSource>();
    sources = s;
    perRegistry.set(registry, s);
    define(registry, s);
  }
  sources.add(source);
  return () => void sources.delete(source);
}

function define(registry: Registry, sources: Set<StatsSource>): void {
  const perBackend = (name: string, help: string, read: (b: AgentStats['backends'][number]) => number, kind: 'counter' | 'gauge'): void => {
    const opts = {
      name,
      help,
      labelNames: ['agent', 'backend'] as const,
      registers: [registry],
      collect(this: Counter<'agent' | 'backend'> | Gauge<'agent' | 'backend'>) {
        this.reset();
        for (const src of sources) {
          for (const b of src.stats().backends) {
            const labels = { agent: src.name, backend: b.key };
            if (this instanceof Gauge) this.set(labels, read(b));
            else this.inc(labels, read(b));
          }
        }
      },
    };
    if (kind === 'counter') new Counter(opts);
    else new Gauge(opts);
  };
  perBackend('herald_agent_backend_requests_total', 'Attempts sent to a backend, retries included', (b) => b.requests, 'counter');
  perBackend('herald_agent_backend_errors_total', 'Failed attempts on a backend: connect or transport errors and 5xx', (b) => b.errors, 'counter');
  perBackend('herald_agent_backend_retries_total', 'Attempts that failed on a backend and were retried on another', (b) => b.retries, 'counter');
  perBackend('herald_agent_backend_ejections_total', 'Times a backend was ejected by passive health', (b) => b.ejections, 'counter');
  perBackend('herald_agent_backend_in_flight', 'Attempts in flight on a backend', (b) => b.inFlight, 'gauge');
  perBackend('herald_agent_backend_slow_start_share', 'Share of its traffic a backend gets in its slow start (1 when not ramping)', (b) => b.slowStartShare, 'gauge');
  perBackend('herald_agent_backend_up', '1 while a backend takes requests (not ejected, healthy), else 0', (b) => (b.ejected || !b.healthy ? 0 : 1), 'gauge');

  new Counter({
    name: 'herald_agent_requests_total',
    help: 'Requests that ended, by outcome (ok: a response; failed: an error; no_backends: none within the claim timeout)',
    labelNames: ['agent', 'outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const src of sources) {
        const r = src.stats().requests;
        this.inc({ agent: src.name, outcome: 'ok' }, r.ok);
        this.inc({ agent: src.name, outcome: 'failed' }, r.failed - r.noBackends);
        this.inc({ agent: src.name, outcome: 'no_backends' }, r.noBackends);
      }
    },
  });
  const perAgent = (name: string, help: string, read: (s: AgentStats) => number, kind: 'counter' | 'gauge'): void => {
    const opts = {
      name,
      help,
      labelNames: ['agent'] as const,
      registers: [registry],
      collect(this: Counter<'agent'> | Gauge<'agent'>) {
        this.reset();
        for (const src of sources) {
          if (this instanceof Gauge) this.set({ agent: src.name }, read(src.stats()));
          else this.inc({ agent: src.name }, read(src.stats()));
        }
      },
    };
    if (kind === 'counter') new Counter(opts);
    else new Gauge(opts);
  };
  perAgent('herald_agent_retry_budget_exhausted_total', 'Retries refused because the retry budget was spent', (s) => s.budget.exhausted, 'counter');
  perAgent('herald_agent_retry_budget_balance', "Retries the retry budget would allow now (its window's deposits plus the floor, less its retries)", (s) => s.budget.balance, 'gauge');
  perAgent('herald_agent_panic', '1 while the agent spreads over every backend because too few are healthy', (s) => (s.panic ? 1 : 0), 'gauge');
}
