// The floor of what Node can answer here: worker threads with the same UDP
// socket setup as `herald serve` (SO_REUSEPORT, 4 MiB buffers, literal
// reply addresses), each replying with a precomputed response — the bytes
// herald itself sent for that question — with only the ID patched. No
// parsing, no lookup beyond one Map get on the question bytes.
import { createSocket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { freePort } from '../../test/fixtures/ports.ts';
import type { PeerServer } from './peers.ts';

const WORKER = `
const { createSocket } = require('node:dgram');
const { parentPort, workerData } = require('node:worker_threads');
const replies = new Map(workerData.replies.map(([q, r]) => [q, Buffer.from(r, 'base64')]));
const socket = createSocket({ type: 'udp4', reusePort: true, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20,
  lookup: (host, _o, cb) => cb(null, host, 4) });
socket.on('error', () => {});
socket.on('message', (msg, rinfo) => {
  // The question: everything after the 12-byte header up to the end of QTYPE/QCLASS (no EDNS in dnsperf's queries).
  const reply = replies.get(msg.toString('latin1', 12));
  if (!reply) return;
  const out = Buffer.from(reply);
  out[0] = msg[0]; out[1] = msg[1];
  socket.send(out, rinfo.port, rinfo.address);
});
socket.bind(workerData.port, '127.0.0.1', () => parentPort.postMessage('bound'));
parentPort.on('message', () => socket.close(() => process.exit(0)));
`;

/**
 * Starts `threads` floor workers on one loopback port. `replies` maps each
 * query (as sent, header included) to the reply bytes to send for it.
 */
export async function startNodeFloor(replies: Map<Buffer, Buffer>, threads: number): Promise<PeerServer> {
  const port = await freePort();
  const table = [...replies].map(([q, r]) => [q.toString('latin1', 12), r.toString('base64')]);
  const workers = await Promise.all(Array.from({ length: threads }, () => new Promise<Worker>((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { port, replies: table } });
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  })));
  return {
    name: 'node floor', port,
    async stop() {
      await Promise.all(workers.map((w) => new Promise((r) => { w.once('exit', r); w.postMessage('stop'); })));
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
