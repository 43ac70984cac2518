import { EventEmitter } from 'node:events';
import { InvalidArgumentError } from '../errors.ts';
import type { Store } from '../registry/index.ts';
import { acquireLease } from './acquire.ts';
import { resolveCommand, type CommandExit } from './command.ts';
import type { GuardedCommand } from './guarded-command.ts';
import type { LeaseEndReason } from './errors.ts';
import { validateLeaseName } from './path.ts';
import { prepareCommand, runUnderLease } from './run.ts';

export interface SingletonOptions {
  /** The lease name. */
  name: string;
  /** The command: argv, or one string run by `/bin/sh -c`. */
  command: string | readonly string[];
  /** The registry session (a sidecar's); it stays open. */
  store: Store;
  instance?: string;
  /** After SIGTERM, before SIGKILL. @default 10000 */
  graceMs?: number;
  /** Pause before queueing again after the command ended or the lease was lost. @default 1000 */
  restartDelayMs?: number;
  safetyMarginMs?: number;
  env?: NodeJS.ProcessEnv;
  stdio?: 'inherit' | 'ignore';
}

export interface SingletonEvents {
  /** This instance holds the lease and the command runs. */
  started: [info: { token: number; pid: number; watchdogPid: number | undefined; graceMs: number }];
  /** The command stopped: it exited, the lease was lost, or `stop()`. The lease is given up. */
  stopped: [info: { token: number; reason: 'exited' | 'stopped' | 'watchdog' | LeaseEndReason; exit: CommandExit | undefined }];
  /** Queueing failed (the registry away); it is tried again after `restartDelayMs`. */
  error: [err: Error];
}

/** Argv for a singleton command: a string goes through /bin/sh, as registrar's commands do. */
export function commandArgv(command: string | readonly string[]): string[] {
  if (typeof command === 'string') {
    if (command.trim() === '') throw new InvalidArgumentError('singleton command must not be empty');
    return ['/bin/sh', '-c', command];
  }
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string')) {
    throw new InvalidArgumentError('singleton command must be a non-empty string or array of strings');
  }
  return [...command];
}

/**
 * Runs a command in exactly one instance at a time: waits for the lease,
 * runs the command while holding it, stops it when the lease may be lost,
 * and queues again. When the command ends by itself the lease is given up
 * too, so another instance gets its turn (a fault may be local to this one).
 * `stop()` (a drain) stops the command and gives the lease up at once.
 */
export class Singleton extends EventEmitter<SingletonEvents> {
  readonly name: string;
  readonly #argv: string[];
  readonly #options: SingletonOptions;
  readonly #graceMs: number;
  readonly #restartDelayMs: number;
  readonly #stopper = new AbortController();
  #loop: Promise<void> | undefined;
  #token: number | undefined;

  constructor(options: SingletonOptions) {
    super();
    this.name = validateLeaseName(options.name);
    this.#argv = commandArgv(options.command);
    this.#options = options;
    this.#graceMs = nonNegative(options.graceMs, 'graceMs', 10_000);
    this.#restartDelayMs = nonNegative(options.restartDelayMs, 'restartDelayMs', 1000);
  }

  /** The fencing token while the command runs. */
  get token(): number | undefined { return this.#token; }

  /** Starts queueing. Throws `CommandNotFoundError` at once when the command cannot be found. */
  start(): void {
    if (this.#loop) return;
    resolveCommand(this.#argv[0]!, this.#options.env ?? process.env);
    this.#loop = this.#run();
  }

  /** Stops the command (SIGTERM, then SIGKILL after the grace), gives the lease up, stops queueing. */
  async stop(): Promise<void> {
    this.#stopper.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stopper.signal;
    const { store, instance, safetyMarginMs, env, stdio } = this.#options;
    let prepared: GuardedCommand | undefined;
    try {
      while (!signal.aborted) {
        // The watchdog starts while in the queue, so that a takeover does not wait for it.
        if (!prepared || prepared.done) prepared = prepareCommand({ argv: this.#argv, ...(env === undefined ? {} : { env }), ...(stdio === undefined ? {} : { stdio }) });
        let lease;
        try {
          lease = await acquireLease(this.name, { store, signal, ...(instance === undefined ? {} : { instance }), ...(safetyMarginMs === undefined ? {} : { safetyMarginMs }) });
        } catch (err) {
          if (signal.aborted) return;
          // An EventEmitter throws an 'error' nobody listens to: report it only to a listener, and keep queueing either way.
          if (this.listenerCount('error') > 0) this.emit('error', err as Error);
          await pause(this.#restartDelayMs, signal);
          continue;
        }
        this.#token = lease.token;
        const outcome = await runUnderLease(lease, {
          argv: this.#argv, graceMs: this.#graceMs, signal, prepared,
          ...(env === undefined ? {} : { env }), ...(stdio === undefined ? {} : { stdio }),
          onStart: (info) => this.emit('started', { token: lease.token, ...info }),
        });
        this.#token = undefined;
        prepared = undefined; // used up
        await lease.release();
        const reason = outcome.reason === 'lost' ? outcome.error.reason : outcome.reason;
        this.emit('stopped', { token: lease.token, reason, exit: outcome.exit });
        await pause(this.#restartDelayMs, signal);
      }
    } finally {
      // Stopped while queued or between tries: the watchdog started for the next turn must not outlive the singleton.
      if (prepared && !prepared.done) await prepared.cancel();
    }
  }
}

function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`\`${name}\` must be a non-negative number of milliseconds, got ${value}`);
  return value;
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
