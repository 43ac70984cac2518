import type { BackendSet } from './backend-set.ts';
import { ping } from './probe.ts';

/**
 * Active health: GETs `path` on every backend every `intervalMs`; a 2xx or
 * 3xx within `timeoutMs` marks it healthy, anything else unhealthy. Pings
 * go through the backend's own pool but are not counted as requests.
 */
export class HealthCheck {
  readonly #set: BackendSet;
  readonly #path: string;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | null = null;
  #inFlight = new Set<string>();

  constructor(set: BackendSet, path: string, intervalMs: number, timeoutMs: number) {
    this.#set = set;
    this.#path = path;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.pingAll(), this.#intervalMs);
    // Health checks alone never keep a process alive.
    this.#timer.unref();
    this.pingAll();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  pingAll(): void {
    for (const entry of this.#set.entries()) {
      if (this.#inFlight.has(entry.key) || entry.draining) continue;
      this.#inFlight.add(entry.key);
      ping(entry, this.#path, this.#timeoutMs)
        .then((ok) => {
          this.#inFlight.delete(entry.key);
          if (!entry.draining && this.#timer) this.#set.setHealthy(entry, ok);
        });
    }
  }
}
