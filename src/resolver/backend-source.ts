import type { EventEmitter } from 'node:events';

/** One place a service can be reached: an address and port, with SRV metadata. */
export interface Backend {
  /** `name:port@address`: stable for as long as the record stands. */
  readonly key: string;
  /** The SRV target, or the service domain when found through A/AAAA. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** SRV priority: every group is listed; the agent sends to the lowest one with usable members. */
  readonly priority: number;
  /** SRV weight: a share of requests relative to its group. */
  readonly weight: number;
}

export function backendKey(name: string, port: number, address: string): string {
  return `${name}:${port}@${address}`;
}

export function makeBackend(fields: Omit<Backend, 'key'>): Backend {
  return Object.freeze({ key: backendKey(fields.name, fields.port, fields.address), ...fields });
}

/** What the resolver reports with every change. */
export interface BackendsState {
  backends: readonly Backend[];
  /** True while the backends are last-known-good kept through a failure (fail static). */
  stale: boolean;
  /** Why the last refresh failed, while stale. */
  error?: Error;
}

/**
 * Anything that tracks a service's backends: the DNS `Resolver`, or a fixed
 * list (`StaticBackends`). The agent consumes only this.
 *
 * Events: `added(backend)`, `removed(backend)`, `updated(state: BackendsState)`.
 */
export interface BackendSource extends EventEmitter {
  backends(): readonly Backend[];
  /** Begins tracking (idempotent). */
  start(): void;
  /** Stops every timer and socket; nothing keeps the process alive after. */
  stop(): void;
}
