/** Reconnects in a row that kept their port before in-place rotation is given up: by chance, 1 in ~28,000³ on Linux. */
const KEPT_PORT_LIMIT = 3;

/**
 * Whether disconnecting and connecting a UDP socket again gives it a fresh
 * port on this kernel, learned from what reconnects did. Linux picks a new
 * random ephemeral port each time, and so now and then the very port it
 * released (about 1 reconnect in 28,000 with the default range): one kept
 * port proves nothing, and at ~500 rotations a second it came within a
 * minute. Only KEPT_PORT_LIMIT in a row say the kernel keeps ports (the
 * BSDs, illumos); one fresh port starts the count again.
 */
export class FreshPortCheck {
  #keptInARow = 0;

  /** False once reconnects have kept their port KEPT_PORT_LIMIT times in a row: open new sockets instead. */
  get trusted(): boolean {
    return this.#keptInARow < KEPT_PORT_LIMIT;
  }

  /** A reconnect went from port `before` to `after` (0: unknown, or it failed); true when `after` is a fresh port. */
  observe(before: number, after: number): boolean {
    if (after !== 0 && after !== before) {
      this.#keptInARow = 0;
      return true;
    }
    this.#keptInARow++;
    return false;
  }
}
