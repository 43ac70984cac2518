import { InvalidArgumentError } from '../errors.ts';
import type { CommandExit } from './command.ts';
import { LeaseLostError } from './errors.ts';
import { GuardedCommand } from './guarded-command.ts';
import type { Lease } from './lease.ts';
import { graceLimit } from './validity.ts';

export interface RunUnderLeaseOptions {
  /** The command and its arguments. */
  argv: readonly string[];
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** After SIGTERM, how long the command may take before SIGKILL; cut to half the lease's trusted window. @default 10000 */
  graceMs?: number;
  /** @default 'inherit' */
  stdio?: 'inherit' | 'ignore';
  /** Stops the command (a drain, a shutdown). */
  signal?: AbortSignal;
  /** A watchdog started beforehand (`prepareCommand`), so the command starts sooner once the lease is held; one is started here otherwise. */
  prepared?: GuardedCommand;
  /** Called once the command is started, with the grace in force. */
  onStart?: (info: { pid: number; watchdogPid: number | undefined; graceMs: number }) => void;
}

export type RunOutcome =
  /** The command ended by itself. */
  | { reason: 'exited'; exit: CommandExit }
  /** The lease may be lost: the command was stopped. */
  | { reason: 'lost'; exit: CommandExit | undefined; error: LeaseLostError }
  /** `signal` asked for a stop: the command was stopped. */
  | { reason: 'stopped'; exit: CommandExit | undefined }
  /** The watchdog died: the command's group was stopped by this process. */
  | { reason: 'watchdog'; exit: undefined };

/** What a command gets in its environment: the fencing token and who holds the lease. */
export function leaseVariables(lease: Lease): Record<string, string> {
  return { HERALD_LEASE_NAME: lease.name, HERALD_LEASE_TOKEN: String(lease.token), HERALD_LEASE_INSTANCE: lease.instance };
}

/** How often a lease without a timeout is restated to the watchdog (its heartbeats carry about 11 days). */
const RESTATE_MS = 3_600_000;

/** The environment a command gets: `env` and the lease's variables. */
export function leaseEnv(lease: Lease, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, ...leaseVariables(lease) };
}

/**
 * Starts the watchdog for a command before its lease is held (while in the
 * queue), so a takeover does not wait for a process to start. Hand it to
 * `runUnderLease` as `prepared`, or `cancel()` it.
 */
export function prepareCommand(options: Pick<RunUnderLeaseOptions, 'argv' | 'env' | 'stdio'>): GuardedCommand {
  return new GuardedCommand({ argv: options.argv, env: options.env ?? process.env, stdio: options.stdio ?? 'inherit' });
}

/** The grace a command under `lease` gets: the one asked for, cut to half the trusted window. */
export function effectiveGrace(lease: Lease, graceMs: number): number {
  return Math.min(graceMs, graceLimit(lease.windowMs));
}

/**
 * Runs a command only while `lease` is held, through the lease watchdog: it
 * starts only if the lease is still held, and its process group is stopped
 * (SIGTERM, SIGKILL after the grace) the grace before the lease's trusted
 * deadline unless a confirmation moved it — also when this process is killed
 * or frozen — and at once when the lease is lost or `signal` aborts. Does
 * not release the lease.
 */
export async function runUnderLease(lease: Lease, options: RunUnderLeaseOptions): Promise<RunOutcome> {
  const asked = options.graceMs ?? 10_000;
  if (!Number.isFinite(asked) || asked < 0) throw new InvalidArgumentError(`graceMs must be a non-negative number, got ${asked}`);
  const graceMs = effectiveGrace(lease, asked);
  const leaseSignal = lease.signal;
  const early = leaseSignal.aborted ? 'lost' : options.signal?.aborted ? 'stopped' : undefined;
  if (early !== undefined) {
    await options.prepared?.cancel();
    return early === 'lost' ? { reason: 'lost', exit: undefined, error: leaseSignal.reason as LeaseLostError } : { reason: 'stopped', exit: undefined };
  }
  // A prepared watchdog killed while waiting is replaced.
  const command = options.prepared && !options.prepared.done ? options.prepared : prepareCommand(options);
  command.begin({ graceMs, validMs: validMs(lease), env: leaseVariables(lease) });
  command.onStart((pid) => options.onStart?.({ pid, watchdogPid: command.watchdogPid, graceMs }));
  const onConfirmed = (): void => command.beat(validMs(lease));
  lease.on('confirmed', onConfirmed);
  // A lease that never times out (memory store) is never renewed: restate it now and then.
  const restate = Number.isFinite(lease.windowMs) ? undefined : setInterval(onConfirmed, RESTATE_MS);
  let onLost!: () => void;
  let onStop!: () => void;
  const why = await Promise.race([
    command.ended.then((end) => end.cause),
    new Promise<'lost'>((resolve) => { onLost = () => resolve('lost'); leaseSignal.addEventListener('abort', onLost, { once: true }); }),
    new Promise<'stopped'>((resolve) => { onStop = () => resolve('stopped'); options.signal?.addEventListener('abort', onStop, { once: true }); }),
  ]);
  lease.off('confirmed', onConfirmed);
  clearInterval(restate);
  leaseSignal.removeEventListener('abort', onLost);
  options.signal?.removeEventListener('abort', onStop);
  const { exit } = await command.stop();
  switch (why) {
    case 'lost': return { reason: 'lost', exit, error: leaseSignal.reason as LeaseLostError };
    // The watchdog saw no fresh confirmation a grace before the deadline: the lease is about to be lost.
    case 'deadline': return { reason: 'lost', exit, error: new LeaseLostError(lease.name, 'deadline') };
    case 'watchdog': return { reason: 'watchdog', exit: undefined };
    case 'exited': return exit ? { reason: 'exited', exit } : { reason: 'stopped', exit };
    default: return { reason: 'stopped', exit };
  }
}

/** How long the lease is trusted from now, for a heartbeat; 0 once it may be lost. */
function validMs(lease: Lease): number {
  return lease.remainingMs;
}
