import { connect } from 'node:net';
import { readJsonLines } from '../json-lines.ts';
import { AdminSocketError } from './errors.ts';

// The client side of a sidecar's admin socket (the sidecar listens,
// src/sidecar/admin-socket.ts): one JSON request line in, JSON lines out;
// `drain` with `follow` streams a status line on every change until that
// drain has finished. Here, not in the sidecar, so that `herald drain` and
// `herald resume` load no sidecar code.

export type AdminRequest =
  | { op: 'status' }
  | { op: 'drain'; reason?: string; deadlineMs?: number; follow?: boolean }
  | { op: 'resume' };

/** Client side: sends one request; calls `onLine` for every line; resolves at the end. */
export function adminRequest(path: string, request: AdminRequest, onLine: (value: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const abort = (): void => { socket.destroy(); resolve(); };
    signal?.addEventListener('abort', abort, { once: true });
    socket.once('connect', () => socket.write(JSON.stringify(request) + '\n'));
    readJsonLines(socket, (value) => onLine(value as Record<string, unknown>), (err) => {
      socket.destroy();
      reject(err instanceof SyntaxError ? new AdminSocketError(`${path} answered something that is not JSON`) : err);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', abort);
      reject(new AdminSocketError(`cannot reach the sidecar at ${path}: ${err.code ?? err.message}`, { cause: err }));
    });
    socket.once('close', () => { signal?.removeEventListener('abort', abort); resolve(); });
  });
}
