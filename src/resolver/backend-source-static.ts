import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.ts';
import { makeBackend, type Backend, type BackendSource } from './backend-source.ts';

/**
 * A fixed list of `address:port` backends, for clients that connect with no
 * DNS at all. `set()` replaces the list and emits the differences.
 */
export class StaticBackends extends EventEmitter implements BackendSource {
  #backends: Backend[] = [];

  constructor(addresses: readonly string[]) {
    super();
    this.#backends = addresses.map(parseAddressPort);
  }

  backends(): readonly Backend[] {
    return this.#backends;
  }

  start(): void {}
  stop(): void {}

  set(addresses: readonly string[]): void {
    const next = addresses.map(parseAddressPort);
    const before = new Map(this.#backends.map((b) => [b.key, b]));
    const after = new Map(next.map((b) => [b.key, b]));
    this.#backends = [...after.values()];
    for (const [key, b] of before) if (!after.has(key)) this.emit('removed', b);
    for (const [key, b] of after) if (!before.has(key)) this.emit('added', b);
    this.emit('updated', { backends: this.#backends, stale: false });
  }
}

/** `10.0.0.1:80` or `[fd00::1]:80` → a backend named after its address. */
export function parseAddressPort(text: string): Backend {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const address = m?.[1];
  const port = Number(m?.[2]);
  if (!address || !isIP(address) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`backend ${JSON.stringify(text)} is not ADDRESS:PORT (e.g. 10.0.0.1:80 or [fd00::1]:80)`);
  }
  return makeBackend({ name: address, address, port, priority: 0, weight: 10 });
}
