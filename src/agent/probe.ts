import net from 'node:net';
import type { BackendEntry } from './backend-entry.ts';

/**
 * One active check of a backend: `GET path` through its pool when a path is
 * given (an answer below 400 within `timeoutMs` passes), else a TCP connect
 * (accepted within `timeoutMs` passes). Never rejects.
 */
export function probe(entry: BackendEntry, path: string | null, timeoutMs: number): Promise<boolean> {
  return path === null ? connects(entry.backend.address, entry.backend.port, timeoutMs) : ping(entry, path, timeoutMs);
}

/** `GET path` on the backend's own pool; not counted as a request. */
export function ping(entry: BackendEntry, path: string, timeoutMs: number): Promise<boolean> {
  return entry
    .pool()
    .request({ path, method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) })
    .then(
      async (res) => {
        await res.body.dump();
        return res.statusCode < 400;
      },
      () => false,
    );
}

/** Whether a TCP connection to address:port is accepted within `timeoutMs` (then closed at once). */
export function connects(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
