// Real HTTP backends on loopback for the agent tests: in this process, or
// in a child process that can be killed with SIGKILL. Every backend counts
// what it handled, so tests can check server-side who served what.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { reapOnExit } from '../fixtures/reap.ts';

export interface Behaviour {
  /** Status to answer with. @default 200 */
  status?: number;
  /** Delay before answering (ms). @default 0 */
  delayMs?: number;
  /** Only the next this many requests wait `delayMs`; later ones are answered at once. @default every request */
  delayedCount?: number;
}

export interface Backend {
  readonly address: string;
  readonly port: number;
  /** `address:port`, as StaticBackends takes it. */
  readonly target: string;
  /** StaticBackends' key for it. */
  readonly key: string;
  /** Requests handled (answered or being answered), by method. */
  readonly hits: Map<string, number>;
  /** Request ids (x-request-id) handled. */
  readonly ids: string[];
  /** Requests handled, by path. */
  readonly paths: Map<string, number>;
  /** The Host header of the last request. */
  lastHost: string | undefined;
  inFlight: number;
  behaviour: Behaviour;
  total(): number;
  /** Drops every connection and stops listening. */
  kill(): Promise<void>;
}

export function keyOf(address: string, port: number): string {
  return `${address}:${port}@${address}`;
}

export async function startBackend(behaviour: Behaviour = {}, address = '127.0.0.1'): Promise<Backend> {
  const hits = new Map<string, number>();
  const ids: string[] = [];
  const paths = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? '';
      hits.set(method, (hits.get(method) ?? 0) + 1);
      paths.set(req.url ?? '', (paths.get(req.url ?? '') ?? 0) + 1);
      b.lastHost = req.headers.host;
      const id = req.headers['x-request-id'];
      if (typeof id === 'string') ids.push(id);
      b.inFlight++;
      const { status = 200, delayedCount } = b.behaviour;
      let { delayMs = 0 } = b.behaviour;
      if (delayedCount !== undefined) {
        if (delayedCount > 0) b.behaviour.delayedCount = delayedCount - 1;
        else delayMs = 0;
      }
      const answer = (): void => {
        b.inFlight--;
        res.writeHead(status, { 'content-type': 'text/plain', 'x-backend': String(port) });
        res.end(`${port} ${Buffer.concat(chunks).length}`);
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 10_000;
  server.listen(0, address);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const b: Backend = {
    address,
    port,
    target: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`,
    key: keyOf(address, port),
    hits,
    ids,
    paths,
    lastHost: undefined,
    inFlight: 0,
    behaviour,
    total: () => [...hits.values()].reduce((a, n) => a + n, 0),
    async kill() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return b;
}

export interface ChildBackend {
  readonly target: string;
  readonly key: string;
  readonly port: number;
  /** Request ids this child reported handling (reported before it answers). */
  readonly ids: string[];
  total(): number;
  /** Changes how long it waits before answering. */
  setDelay(ms: number): Promise<void>;
  /** SIGKILL: the process dies with its connections. */
  kill(): Promise<void>;
}

export interface ChildOptions {
  /** Cold for this long after it starts listening: one request at a time... (ms) */
  coldMs?: number;
  /** ...each taking this long (ms). */
  coldDelayMs?: number;
}

/** One backend in a child process (test/agent/backend-child.ts), answering after `delayMs`. */
export async function startChildBackend(delayMs = 2, opts: ChildOptions = {}): Promise<ChildBackend> {
  return (await forkChildBackend(delayMs, opts)).listen();
}

/**
 * The process of a child backend, started but not yet listening: `listen()`
 * makes it answer (on `port` if given: a killed backend restarted where it was).
 */
export async function forkChildBackend(delayMs = 2, opts: ChildOptions = {}): Promise<{ listen(port?: number): Promise<ChildBackend> }> {
  const args = [delayMs, 0, opts.coldMs ?? 0, opts.coldDelayMs ?? 0, 'defer'].map(String);
  const child: ChildProcess = fork(new URL('./backend-child.ts', import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  reapOnExit(child);
  let onAck: (() => void) | null = null;
  let onPort: ((port: number) => void) | null = null;
  const ids: string[] = [];
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`backend child exited (${code}) before listening`)));
    child.on('message', (m: { ready?: boolean; port?: number; id?: string; ack?: boolean }) => {
      if (m.ready) resolve();
      else if (m.port !== undefined) onPort?.(m.port);
      else if (m.ack) onAck?.();
      else {
        count++;
        if (m.id !== undefined) ids.push(m.id);
      }
    });
  });
  const listen = async (at?: number): Promise<ChildBackend> => {
    const port = await new Promise<number>((resolve) => {
      onPort = resolve;
      child.send({ listen: true, port: at });
    });
    child.removeAllListeners('exit');
    return {
      target: `127.0.0.1:${port}`,
      key: keyOf('127.0.0.1', port),
      port,
      ids,
      total: () => count,
      setDelay: (ms) =>
        new Promise<void>((resolve) => {
          onAck = resolve;
          child.send({ delayMs: ms });
        }),
      async kill() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      },
    };
  };
  return { listen };
}
