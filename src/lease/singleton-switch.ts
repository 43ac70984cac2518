import type { Logger } from '../log.ts';
import { Singleton, type SingletonOptions } from './singleton.ts';

/**
 * A singleton that can be switched on and off (a sidecar: on while not
 * draining, off on drain or shutdown). Each "on" queues afresh; "off" stops
 * the command and gives the lease up at once. Transitions run one at a time.
 */
export class SingletonSwitch {
  readonly #options: SingletonOptions;
  readonly #log: Logger | undefined;
  #current: Singleton | undefined;
  #want = false;
  #settled: Promise<void> = Promise.resolve();

  constructor(options: SingletonOptions, log?: Logger) {
    // Validates the options now (name, command, durations), not at the first switch.
    new Singleton(options);
    this.#options = options;
    this.#log = log;
  }

  /** Switches on or off; resolves once that state is reached (an "off" once the lease is given up). */
  set(on: boolean): Promise<void> {
    this.#want = on;
    // One failed transition must not wedge the ones after it.
    this.#settled = this.#settled.then(() => this.#apply()).catch((err: unknown) => {
      this.#log?.error({ lease: this.#options.name, err: { message: (err as Error).message } }, 'singleton: switch failed');
    });
    return this.#settled;
  }

  async #apply(): Promise<void> {
    if (this.#want && !this.#current) {
      const s = new Singleton(this.#options);
      const name = s.name;
      s.on('started', (i) => this.#log?.info({ lease: name, token: i.token, pid: i.pid, watchdogPid: i.watchdogPid, graceMs: i.graceMs }, 'singleton: holding the lease, command started'));
      s.on('stopped', (i) => this.#log?.info({ lease: name, token: i.token, reason: i.reason, exit: i.exit }, 'singleton: command stopped, lease given up'));
      s.on('error', (err) => this.#log?.warn({ lease: name, err: { message: err.message } }, 'singleton: could not queue for the lease; retrying'));
      try {
        s.start();
      } catch (err) {
        this.#log?.error({ lease: name, err: { message: (err as Error).message } }, 'singleton: not started');
        return;
      }
      this.#current = s;
    } else if (!this.#want && this.#current) {
      const s = this.#current;
      this.#current = undefined;
      await s.stop();
    }
  }
}
