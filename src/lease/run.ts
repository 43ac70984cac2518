import { InvalidArgumentError } from '../errors.ts';
import { ChildCommand, type CommandExit } from './command.ts';
import type { LeaseLostError } from './errors.ts';
import type { Lease } from './lease.ts';

export interface RunUnderLeaseOptions {
  /** The command and its arguments. */
  argv: readonly string[];
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** After SIGTERM, how long the command may take before SIGKILL. @default 10000 */
  graceMs?: number;
  /** @default 'inherit' */
  stdio?: 'inherit' | 'ignore';
  /** Stops the command (a drain, a shutdown). */
  signal?: AbortSignal;
  /** Called once the command is started. */
  onStart?: (pid: number | undefined) => void;
}

export type RunOutcome =
  /** The command ended by itself. */
  | { reason: 'exited'; exit: CommandExit }
  /** The lease may be lost: the command was stopped. */
  | { reason: 'lost'; exit: CommandExit | undefined; error: LeaseLostError }
  /** `signal` asked for a stop: the command was stopped. */
  | { reason: 'stopped'; exit: CommandExit | undefined };

/** The environment a command gets: the fencing token and who holds the lease. */
export function leaseEnv(lease: Lease, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, HERALD_LEASE_NAME: lease.name, HERALD_LEASE_TOKEN: String(lease.token), HERALD_LEASE_INSTANCE: lease.instance };
}

/**
 * Runs a command only while `lease` is held: it starts only if the lease is
 * still held, and is stopped (SIGTERM, SIGKILL after `graceMs`) the moment
 * the lease may be lost or `signal` aborts. Does not release the lease.
 */
export async function runUnderLease(lease: Lease, options: RunUnderLeaseOptions): Promise<RunOutcome> {
  const graceMs = options.graceMs ?? 10_000;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new InvalidArgumentError(`graceMs must be a non-negative number, got ${graceMs}`);
  const leaseSignal = lease.signal;
  if (leaseSignal.aborted) return { reason: 'lost', exit: undefined, error: leaseSignal.reason as LeaseLostError };
  if (options.signal?.aborted) return { reason: 'stopped', exit: undefined };
  const child = new ChildCommand(options.argv, { env: leaseEnv(lease, options.env ?? process.env), stdio: options.stdio ?? 'inherit' });
  options.onStart?.(child.pid);
  let onLost!: () => void;
  let onStop!: () => void;
  const why = await Promise.race([
    child.exited.then(() => 'exited' as const),
    new Promise<'lost'>((resolve) => { onLost = () => resolve('lost'); leaseSignal.addEventListener('abort', onLost, { once: true }); }),
    new Promise<'stopped'>((resolve) => { onStop = () => resolve('stopped'); options.signal?.addEventListener('abort', onStop, { once: true }); }),
  ]);
  leaseSignal.removeEventListener('abort', onLost);
  options.signal?.removeEventListener('abort', onStop);
  const exit = await child.stop(graceMs);
  if (why === 'lost') return { reason: 'lost', exit, error: leaseSignal.reason as LeaseLostError };
  return why === 'stopped' ? { reason: 'stopped', exit } : { reason: 'exited', exit };
}
