// The Node floor's server process (started by node-floor.ts): `threads`
// UDP sockets on one port, bound by herald's own `bindUdp`
// (src/server/udp-socket.ts) — the main thread's and one per worker thread,
// as `herald serve` — each answering with a precomputed reply, copied and
// patched only by the ID. Whatever herald's socket path costs, the floor
// costs too; what herald spends beyond it is its responder.
// argv: PORT THREADS, then the replies on stdin as JSON [[queryLength, replyBase64], ...].
// Prints `bound` once every thread listens; exits on SIGTERM.
// Imported, as herald's responder does: Node 24's global `Buffer` is an accessor, a getter call at every use.
import { Buffer } from 'node:buffer';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { bindUdp, type PacketHandler } from '../../src/server/udp-socket.ts';
import { Responder } from '../../src/server/responder.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import type { SnapshotNode } from '../../src/registry/store.ts';

/**
 * BENCH_FLOOR_RESPONDER=1, a diagnostic: the floor answers through herald's
 * own `Responder` over the bench's records (the moray service), so that the
 * responder's cost in place can be told from the rest of `herald serve`'s
 * process (if this floor costs what herald does, the gap is the responder).
 */
function responderHandler(): PacketHandler {
  const snapshot = new Map<string, SnapshotNode>();
  const node = (path: string, data: string | null, children: string[] = []) => snapshot.set(path, { path, data, children });
  node('/us/joyent/coal', null, ['moray']);
  node('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }), ['a', 'b', 'c']);
  ['a', 'b', 'c'].forEach((n, i) => node(`/us/joyent/coal/moray/${n}`, hostRecordJson({ type: 'moray_host', address: `10.0.0.${i + 1}`, ports: [2021], ttl: 30 })));
  const responder = new Responder('coal.joyent.us', 10_000);
  responder.setSnapshot(snapshot);
  return responder;
}

const handler = (replies: [number, string][]) => (process.env['BENCH_FLOOR_RESPONDER'] === '1' ? responderHandler() : floorHandler(replies));

interface FloorData { port: number; replies: [number, string][] }

/** The reply for a query, chosen by the query's length alone (the bench's queries differ in length). */
function floorHandler(replies: [number, string][]): PacketHandler {
  const byLength: (Buffer | undefined)[] = [];
  for (const [length, reply] of replies) byLength[length] = Buffer.from(reply, 'base64');
  return {
    stats: { udp: 0 },
    handle(msg) {
      const reply = byLength[msg.length];
      if (reply === undefined) return undefined;
      const out = Buffer.allocUnsafe(reply.length);
      out.set(reply);
      out[0] = msg[0]!;
      out[1] = msg[1]!;
      return out;
    },
  };
}

if (isMainThread) {
  const port = Number(process.argv[2]);
  const threads = Number(process.argv[3]);
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const data: FloorData = { port, replies: JSON.parse(input) as [number, string][] };
  await bindUdp(handler(data.replies), '127.0.0.1', port, threads > 1);
  for (let i = 1; i < threads; i++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    await new Promise<void>((resolve, reject) => { worker.once('message', () => resolve()); worker.once('error', reject); });
    worker.unref();
  }
  process.stdout.write('bound\n');
  process.once('SIGTERM', () => process.exit(0));
} else {
  const data = workerData as FloorData;
  await bindUdp(handler(data.replies), '127.0.0.1', data.port, true);
  parentPort!.postMessage('bound');
}
