// The floor of what Node can answer here: a process with exactly herald's
// UDP socket setup (node-floor-server.ts: herald's own `bindUdp`, its
// threads laid out as `herald serve` lays them out) replying with a
// precomputed response — the bytes herald itself sent for that question —
// copied and patched only by the ID. No parsing, no lookup beyond an array
// index by the query's length. A separate process, so that its CPU can be
// read and pinned like any other server's.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/fixtures/ports.ts';
import { reapOnExit } from '../../test/fixtures/reap.ts';
import type { PeerServer } from './peers.ts';

/**
 * Starts the floor with `threads` answering threads on one loopback port.
 * `replies` maps each query (as sent, header included) to the reply bytes
 * to send for it; the queries must differ in length. `nodeArgs` go to
 * node before the script (`--cpu-prof`, as herald's in the bench).
 */
export async function startNodeFloor(replies: Map<Buffer, Buffer>, threads: number, nodeArgs: string[] = []): Promise<PeerServer> {
  const lengths = new Set([...replies.keys()].map((q) => q.length));
  if (lengths.size !== replies.size) throw new Error('node floor: the queries must differ in length');
  const port = await freePort();
  const script = fileURLToPath(new URL('./node-floor-server.ts', import.meta.url));
  const child = spawn(process.execPath, [...nodeArgs, script, String(port), String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
  reapOnExit(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.end(JSON.stringify([...replies].map(([q, r]) => [q.length, r.toString('base64')])));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node floor did not bind in 10 s')), 10_000);
    child.stdout!.once('data', () => { clearTimeout(timer); resolve(); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`node floor exited ${code}`)); });
  });
  return {
    name: 'node floor', port,
    async stop() {
      if (child.exitCode === null) { child.kill('SIGTERM'); await exited; }
    },
  };
}

/** Asks the server on `port` each query once over UDP and keeps its reply, for the floor to send. */
export async function captureReplies(port: number, queries: Buffer[]): Promise<Map<Buffer, Buffer>> {
  const out = new Map<Buffer, Buffer>();
  for (const query of queries) {
    const socket = createSocket('udp4');
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply from 127.0.0.1:${port}`)), 2000);
      socket.once('message', (msg) => { clearTimeout(timer); resolve(msg); });
      socket.send(query, port, '127.0.0.1');
    });
    socket.close();
    out.set(query, reply);
  }
  return out;
}
