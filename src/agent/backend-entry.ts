import { Pool } from 'undici';
import type { Backend } from '../resolver/index.ts';
import { newLatencyState, type LatencyState } from './peak-ewma.ts';
import type { Candidate } from './picker.ts';
import { formatHostPort } from '../host-port.ts';

/**
 * One backend as the agent sees it: its undici `Pool` (made on first use),
 * the counters the picker reads, and its health.
 */
export class BackendEntry implements Candidate {
  backend: Backend;
  readonly origin: string;
  readonly #poolOptions: Pool.Options;
  #pool: Pool | null = null;

  outstanding = 0;
  requests = 0;
  errors = 0;
  retries = 0;
  ejections = 0;
  readonly latency: LatencyState = newLatencyState();

  consecutiveFailures = 0;
  timesEjected = 0;
  ejectedUntil = 0;
  /** Date.now() since which it has not failed (for forgiving ejections). */
  healthySince = 0;
  /** Active health (pings); true when no ping is configured. */
  healthy = true;
  /** Removed by the resolver: takes no new requests, closes when idle. */
  draining = false;
  /** performance.now() when its slow start began; -1 when not ramping. */
  rampFrom = -1;

  constructor(backend: Backend, poolOptions: Pool.Options) {
    this.backend = backend;
    this.origin = `http://${formatHostPort(backend.address, backend.port)}`;
    this.#poolOptions = poolOptions;
  }

  get key(): string {
    return this.backend.key;
  }
  get priority(): number {
    return this.backend.priority;
  }
  get weight(): number {
    return this.backend.weight;
  }

  pool(): Pool {
    return (this.#pool ??= new Pool(this.origin, this.#poolOptions));
  }

  /** Lets in-flight requests finish, then closes every connection. */
  async close(): Promise<void> {
    await this.#pool?.close();
  }

  async destroy(err: Error): Promise<void> {
    await this.#pool?.destroy(err);
  }
}
