import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { AdminSocketError, type AdminRequest, type SidecarStatus } from '../drain/index.ts';

// One JSON request line in, JSON lines out. `drain` with `follow` streams a
// status line on every change until that drain has finished.

/** What the socket needs from a sidecar. */
export interface AdminTarget {
  readonly status: SidecarStatus;
  requestDrain(reason: string, deadlineMs?: number): Promise<{ id: string }>;
  resume(): Promise<void>;
  on(event: 'status', listener: (s: SidecarStatus) => void): unknown;
  off(event: 'status', listener: (s: SidecarStatus) => void): unknown;
}

export function isFinal(s: SidecarStatus, intentId: string): boolean {
  return s.intent === intentId && (s.drain?.phase === 'drained' || s.drain?.phase === 'deadline');
}

/** Listens on `path` with mode 0600 (only the sidecar's user may drain it). */
export async function listenAdmin(path: string, target: AdminTarget): Promise<Server> {
  await removeStale(path);
  const server = createServer((socket) => serve(socket, target));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => { server.off('error', reject); resolve(); });
  });
  await chmod(path, 0o600);
  return server;
}

// A socket file left by a crashed sidecar refuses connections: remove it.
// One that answers belongs to a running sidecar: refuse to steal it. Anything
// that is not a socket (a regular file, a directory, a link) is someone
// else's: never deleted.
async function removeStale(path: string): Promise<void> {
  const found = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new AdminSocketError(`cannot use ${path}: ${err.code ?? err.message}`, { cause: err });
  });
  if (!found) return;
  if (!found.isSocket()) throw new AdminSocketError(`${path} exists and is not a socket: left as it is`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new AdminSocketError(`${path} is in use by a running sidecar`);
  await unlink(path).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
}

function serve(socket: Socket, target: AdminTarget): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const nl = buffer.indexOf('\n');
    if (nl < 0) {
      if (buffer.length > 4096) socket.destroy();
      return;
    }
    socket.removeAllListeners('data');
    void handle(buffer.slice(0, nl), socket, target);
  });
}

async function handle(line: string, socket: Socket, target: AdminTarget): Promise<void> {
  const send = (value: unknown): void => { if (!socket.destroyed) socket.write(JSON.stringify(value) + '\n'); };
  try {
    const req = JSON.parse(line) as AdminRequest;
    if (req.op === 'status') {
      send(target.status);
    } else if (req.op === 'resume') {
      await target.resume();
      send(target.status);
    } else if (req.op === 'drain') {
      const deadline = typeof req.deadlineMs === 'number' && req.deadlineMs >= 0 ? req.deadlineMs : undefined;
      const intent = await target.requestDrain(typeof req.reason === 'string' ? req.reason : 'drain requested', deadline);
      send(target.status);
      if (req.follow && !isFinal(target.status, intent.id)) {
        await new Promise<void>((resolve) => {
          const onStatus = (s: SidecarStatus): void => {
            send(s);
            if (isFinal(s, intent.id) || s.intent !== intent.id) done();
          };
          const done = (): void => { target.off('status', onStatus); resolve(); };
          target.on('status', onStatus);
          socket.once('close', done);
        });
      }
    } else {
      send({ error: `unknown op ${JSON.stringify((req as { op?: unknown }).op)}` });
    }
  } catch (err) {
    send({ error: (err as Error).message });
  }
  socket.end();
}
