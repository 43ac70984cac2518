import type { Pool } from 'undici';
import type { Registry } from 'prom-client';
import { InvalidArgumentError } from '../errors.ts';
import type { BackendSource, ResolverOptions } from '../resolver/index.ts';
import type { EjectionPolicy } from './ejection.ts';

/**
 * Where the backends come from — exactly one of `source` (or `resolver`), `backends` or
 * `domain` (with the DNS `Resolver`'s options beside it: `service`,
 * `nameservers`, `bootstrap`, `defaultPort`, TTL bounds...).
 */
export interface BalancedAgentOptions extends Omit<Partial<ResolverOptions>, 'domain'> {
  /** A `Resolver`, `StaticBackends`, or any BackendSource (started by the agent, stopped by its owner). */
  source?: BackendSource;
  /** The same as `source` (DESIGN.md's name for it). */
  resolver?: BackendSource;
  /** A fixed list of `address:port` (no DNS at all). */
  backends?: readonly string[];
  /** A service domain: the agent makes, starts and stops a `Resolver` for it. */
  domain?: string;

  /** Connections per backend. @default 64 */
  connections?: number;
  /** Idle keep-alive time of a connection (ms). @default 4000 (undici's default) */
  keepAliveTimeout?: number;
  /** TCP connect timeout per attempt (ms). @default 10000 */
  connectTimeout?: number;
  /** Any other undici `Pool` option, for every backend's pool. */
  pool?: Pool.Options;
  /**
   * Send the request URL's host as `Host` (unless the request sets one), as a
   * plain HTTP client would; false sends the backend's `address:port`.
   * @default true
   */
  preserveHost?: boolean;

  /** Weigh choices by Peak-EWMA latency as well as outstanding requests. @default true */
  latencyWeighting?: boolean;
  /** How quickly old latency is forgotten (ms). @default 500 */
  latencyDecay?: number;
  /**
   * A backend that joins the rotation later (added after the first
   * resolution, readmitted after an ejection, healthy again after failed
   * pings) ramps up to its full share over this long (ms); 0 disables.
   * @default 5000
   */
  slowStartMs?: number;

  /** Consecutive connect errors or 5xx that eject a backend. @default 5 */
  consecutiveFailures?: number;
  /** First ejection (ms); the n-th lasts n times as long. @default 30000 */
  baseEjectionTime?: number;
  /** Longest ejection (ms). @default 300000 */
  maxEjectionTime?: number;
  /** Most of a priority group ejected at once (0..1; one backend always may be). @default 0.5 */
  maxEjectedShare?: number;
  /** Below this share of available backends, spread over all of them (0..1). @default 0.5 */
  panicThreshold?: number;

  /** Attempts per request, the first included. @default 3 */
  maxAttempts?: number;
  /** Retries over the budget window may be this share of the requests in it (0..10)... @default 0.2 */
  retryBudgetRatio?: number;
  /** ...plus this many retries per second of the window, whatever the traffic. @default 10 */
  retryBudgetFloor?: number;
  /** The retry budget's window: deposits and retries older than this expire (ms, 1000..60000). @default 10000 */
  retryBudgetWindow?: number;

  /** How long a request waits for a backend when there are none (ms). @default 10000 */
  claimTimeout?: number;

  /** Active health check: GET this path on every backend. Off when unset. */
  ping?: string;
  /** Between pings (ms). @default 5000 */
  pingInterval?: number;
  /** A ping not answered in this time failed (ms). @default 2000 */
  pingTimeout?: number;

  /** Register `herald_agent_*` metrics in this prom-client registry. */
  metrics?: Registry;
  /** The `agent` label on metrics. @default 'default' */
  name?: string;
}

export interface ResolvedOptions {
  readonly ejection: EjectionPolicy;
  readonly latency: boolean;
  readonly decayMs: number;
  readonly slowStartMs: number;
  readonly pool: Pool.Options;
  readonly maxAttempts: number;
  readonly budgetRatio: number;
  readonly budgetFloor: number;
  readonly budgetWindowMs: number;
  readonly claimTimeoutMs: number;
  readonly ping: string | null;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly name: string;
  readonly preserveHost: boolean;
}

function num(name: string, value: number | undefined, fallback: number, min: number, max = Infinity, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Infinity ? `>= ${min}` : `between ${min} and ${max}`;
    throw new InvalidArgumentError(`Expected \`${name}\` to be ${integer ? 'an integer' : 'a number'} ${range}, got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(o: BalancedAgentOptions): ResolvedOptions {
  if (o.ping !== undefined && (typeof o.ping !== 'string' || !o.ping.startsWith('/'))) {
    throw new InvalidArgumentError(`Expected \`ping\` to be a path starting with "/", got ${JSON.stringify(o.ping)}`);
  }
  const connections = num('connections', o.connections, 64, 1, Infinity, true);
  const keepAliveTimeout = num('keepAliveTimeout', o.keepAliveTimeout, 4000, 1);
  const connectTimeout = num('connectTimeout', o.connectTimeout, 10_000, 1);
  const baseEjectionMs = num('baseEjectionTime', o.baseEjectionTime, 30_000, 1);
  const ejection: EjectionPolicy = {
    consecutiveFailures: num('consecutiveFailures', o.consecutiveFailures, 5, 1, Infinity, true),
    baseEjectionMs,
    maxEjectionMs: num('maxEjectionTime', o.maxEjectionTime, Math.max(300_000, baseEjectionMs), baseEjectionMs),
    maxEjectedShare: num('maxEjectedShare', o.maxEjectedShare, 0.5, 0, 1),
    panicThreshold: num('panicThreshold', o.panicThreshold, 0.5, 0, 1),
  };
  return {
    ejection,
    latency: o.latencyWeighting ?? true,
    decayMs: num('latencyDecay', o.latencyDecay, 500, 1),
    slowStartMs: num('slowStartMs', o.slowStartMs, 5000, 0, 600_000),
    pool: { connections, keepAliveTimeout, connectTimeout, ...o.pool },
    maxAttempts: num('maxAttempts', o.maxAttempts, 3, 1, 100, true),
    budgetRatio: num('retryBudgetRatio', o.retryBudgetRatio, 0.2, 0, 10),
    budgetFloor: num('retryBudgetFloor', o.retryBudgetFloor, 10, 0),
    budgetWindowMs: num('retryBudgetWindow', o.retryBudgetWindow, 10_000, 1000, 60_000),
    claimTimeoutMs: num('claimTimeout', o.claimTimeout, 10_000, 0),
    ping: o.ping ?? null,
    pingIntervalMs: num('pingInterval', o.pingInterval, 5000, 10),
    pingTimeoutMs: num('pingTimeout', o.pingTimeout, 2000, 1),
    name: o.name ?? 'default',
    preserveHost: o.preserveHost ?? true,
  };
}
