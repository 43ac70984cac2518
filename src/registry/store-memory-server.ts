import { createServer, isIP, type Server, type Socket } from 'node:net';
import { HeraldError, InvalidArgumentError } from '../errors.ts';
import type { Credentials } from './credentials.ts';
import type { MemoryRegistry } from './store-memory.ts';
import type { RemoteMessage, RemoteRequest } from './store-remote-protocol.ts';
import type { Mirror } from './store.ts';
import { readJsonLines } from '../json-lines.ts';

const MAX_LINE = 1 << 20;
/** A client that leaves this much of its replies and mirror pushes unread is dropped (its session ends). */
const MAX_UNREAD = 32 << 20;
const OPS = new Set(['get', 'children', 'delete', 'watchGone', 'putPersistent', 'putEphemeral', 'createSequential', 'mirror', 'unmirror']);
const DATA_OPS = new Set(['putPersistent', 'putEphemeral', 'createSequential']);

/** The request a line holds, or why it is not one; checked before anything uses it, so no line can throw. */
export function parseRequest(value: unknown): RemoteRequest | InvalidArgumentError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return new InvalidArgumentError(`a request must be a JSON object, got ${JSON.stringify(value)?.slice(0, 80)}`);
  const req = value as Record<string, unknown>;
  if (typeof req['id'] !== 'number' || !Number.isSafeInteger(req['id'])) return new InvalidArgumentError('a request needs an integer "id"');
  if (typeof req['op'] !== 'string' || !OPS.has(req['op'])) return new InvalidArgumentError(`unknown operation ${JSON.stringify(req['op'])?.slice(0, 80)}`);
  if (typeof req['path'] !== 'string') return new InvalidArgumentError(`${req['op']} needs a string "path"`);
  if (DATA_OPS.has(req['op']) && req['data'] !== null && typeof req['data'] !== 'string') return new InvalidArgumentError(`${req['op']} needs "data", a string or null`);
  return value as RemoteRequest;
}
/** A connection that has not sent its token by then is closed. */
const HELLO_MS = 5000;

/**
 * Serves a `MemoryRegistry` to other processes on a loopback TCP port (see
 * `RemoteStore`): each connection is a session whose ephemeral nodes vanish
 * when it closes. On loopback (127.0.0.0/8, ::1) it may run open; any
 * other address needs a token, which a client sends as its first line
 * (`hello`): a connection whose first line is not the token gets one
 * error line and is closed.
 */
export class MemoryRegistryServer {
  readonly #registry: MemoryRegistry;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #token: Credentials | undefined;

  constructor(registry: MemoryRegistry, options: { token?: Credentials } = {}) {
    this.#registry = registry;
    this.#token = options.token;
  }

  /** Listens; resolves with the bound port. */
  async listen(address: string, port: number): Promise<number> {
    if (!isLoopback(address) && !this.#token) throw new InvalidArgumentError(`the memory registry listens on ${address} only with a token (--registry-token FILE); without one, loopback only`);
    const server = createServer((socket) => this.#session(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, address, () => { server.off('error', reject); resolve(); }); });
    return (server.address() as { port: number }).port;
  }

  #session(socket: Socket): void {
    this.#sockets.add(socket);
    const store = this.#registry.connect();
    const mirrors = new Map<string, Mirror>();
    const send = (m: RemoteMessage) => {
      if (socket.destroyed) return;
      if (socket.writableLength > MAX_UNREAD) { socket.destroy(); return; }
      socket.write(JSON.stringify(m) + '\n');
    };
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.#sockets.delete(socket);
      for (const m of mirrors.values()) m.close();
      void store.close();
    });
    let admitted = this.#token === undefined;
    const hello = admitted ? undefined : setTimeout(() => socket.destroy(), HELLO_MS).unref();
    readJsonLines(socket, (value) => {
      const line = value as { op?: unknown; token?: unknown } | null;
      if (!admitted) {
        clearTimeout(hello);
        if (line?.op === 'hello' && typeof line.token === 'string' && this.#token!.matches(line.token)) admitted = true;
        else { refuse(socket); return; }
      }
      if (line?.op === 'hello') { send({ id: 0, ok: true }); return; }
      const req = parseRequest(value);
      if (req instanceof InvalidArgumentError) {
        const id = (value as { id?: unknown } | null)?.id;
        // -1: the request had no id a reply could carry.
        send({ id: typeof id === 'number' ? id : -1, ok: false, code: req.code, message: req.message });
      } else {
        void this.#serve(store, mirrors, req, send);
      }
    }, () => socket.destroy(), MAX_LINE);
  }

  async #serve(store: ReturnType<MemoryRegistry['connect']>, mirrors: Map<string, Mirror>, req: RemoteRequest, send: (m: RemoteMessage) => void): Promise<void> {
    try {
      let value: unknown;
      switch (req.op) {
        case 'get': value = await store.get(req.path); break;
        case 'children': value = await store.children(req.path); break;
        case 'delete': value = await store.delete(req.path); break;
        case 'putPersistent': await store.putPersistent(req.path, req.data); break;
        case 'putEphemeral': await store.putEphemeral(req.path, req.data); break;
        case 'createSequential': value = await store.createSequential(req.path, req.data); break;
        // Answered when the node is gone; ends with the connection otherwise.
        case 'watchGone': await store.watchGone(req.path); break;
        case 'mirror': {
          if (!mirrors.has(req.path)) {
            const mirror = store.mirror(req.path);
            mirrors.set(req.path, mirror);
            mirror.on('synced', (s) => send({ mirror: req.path, nodes: [...s.values()] }));
            mirror.on('delta', (d) => send({ mirror: req.path, changed: [...d.changed], removed: [...d.removed] }));
          }
          break;
        }
        case 'unmirror': mirrors.get(req.path)?.close(); mirrors.delete(req.path); break;
        default: throw new InvalidArgumentError(`unknown operation ${JSON.stringify((req as { op: unknown }).op)}`);
      }
      send(value === undefined ? { id: req.id, ok: true } : { id: req.id, ok: true, value });
    } catch (err) {
      const e = err instanceof HeraldError ? err : new HeraldError('HERALD_REGISTRY_UNAVAILABLE', String(err));
      const path = (e as { path?: string }).path;
      send(path === undefined ? { id: req.id, ok: false, code: e.code, message: e.message } : { id: req.id, ok: false, code: e.code, message: e.message, path });
    }
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    if (server) await new Promise((r) => server.close(r));
  }
}

/** 127.0.0.0/8 and ::1 (and ::ffff:127.x): what never leaves the host. */
export function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  const v6 = address.toLowerCase();
  return v6 === '::1' || v6 === '0:0:0:0:0:0:0:1' || (v6.startsWith('::ffff:') && isIP(v6.slice(7)) === 4 && v6.slice(7).startsWith('127.'));
}

/** One line saying why, then the connection is closed. */
function refuse(socket: Socket): void {
  const m: RemoteMessage = { id: 0, ok: false, code: 'HERALD_REGISTRY_NOAUTH', message: 'the memory registry needs its token as the first line' };
  socket.end(JSON.stringify(m) + '\n');
  setTimeout(() => socket.destroy(), 1000).unref();
}
