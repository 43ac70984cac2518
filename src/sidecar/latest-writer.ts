/**
 * Writes only the latest of a stream of values, one write at a time: a
 * status that changes every poll never queues up behind a slow registry. A
 * failed write is retried (with the newest value) after `retryMs`.
 */
export class LatestWriter<T> {
  readonly #write: (value: T) => Promise<void>;
  readonly #onError: (err: unknown) => void;
  readonly #retryMs: number;
  #pending: { value: T } | undefined;
  #busy = false;
  #retry: NodeJS.Timeout | undefined;
  #waiters: { value: T; resolve: () => void }[] = [];

  constructor(write: (value: T) => Promise<void>, onError: (err: unknown) => void, retryMs = 1000) {
    this.#write = write;
    this.#onError = onError;
    this.#retryMs = retryMs;
  }

  write(value: T): void {
    this.#pending = { value };
    if (!this.#busy && !this.#retry) void this.#drain();
  }

  /** Writes `value` and waits until it is written, or `timeoutMs` passed; then stops retrying. */
  async flush(value: T, timeoutMs: number): Promise<void> {
    const written = new Promise<void>((resolve) => this.#waiters.push({ value, resolve }));
    if (this.#retry) { clearTimeout(this.#retry); this.#retry = undefined; }
    this.write(value);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([written, new Promise<void>((r) => { timer = setTimeout(r, timeoutMs); })]);
    clearTimeout(timer);
    this.close();
  }

  close(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#pending = undefined;
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    while (this.#pending) {
      const { value } = this.#pending;
      this.#pending = undefined;
      try {
        await this.#write(value);
        this.#waiters = this.#waiters.filter((w) => (w.value === value ? (w.resolve(), false) : true));
      } catch (err) {
        this.#onError(err);
        this.#pending ??= { value };
        this.#retry = setTimeout(() => { this.#retry = undefined; void this.#drain(); }, this.#retryMs);
        this.#retry.unref();
        break;
      }
    }
    this.#busy = false;
  }
}
