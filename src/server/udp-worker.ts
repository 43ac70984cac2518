// A worker thread that answers UDP on the server's address (SO_REUSEPORT),
// from the zone the main thread posts: the whole snapshot once (first sync, or
// when the thread starts), then each mirror step's delta. Messages in:
// {snapshot} | {delta} | {ttlCaps} | {stop};
// out: {bound} once listening, {stats} every second and before exit.
import { parentPort, workerData } from 'node:worker_threads';
import type { Snapshot, SnapshotDelta } from '../registry/index.ts';
import { Responder } from './responder.ts';
import { settleAfterSync } from './heap-settle.ts';
import { bindUdp } from './udp-socket.ts';
import { RrlGate } from './rrl-gate.ts';
import type { RrlOptions } from './rrl.ts';

interface WorkerData { domain: string; address: string; port: number; maxCacheEntries: number; rrl?: RrlOptions }

const data = workerData as WorkerData;
const port = parentPort!;
const responder = new Responder(data.domain, data.maxCacheEntries);
const rrl = data.rrl ? new RrlGate(data.rrl, responder.stats, (prefix) => port.postMessage({ rrlLimited: prefix })) : undefined;
const socket = await bindUdp(responder, data.address, data.port, true, rrl);
const timer = setInterval(() => port.postMessage({ stats: responder.stats }), 1000);
timer.unref();
port.on('message', (msg: { snapshot?: Snapshot; delta?: SnapshotDelta; ttlCaps?: [string, number][]; sendStats?: true; stop?: true }) => {
  if (msg.snapshot) {
    responder.setSnapshot(msg.snapshot);
    settleAfterSync(msg.snapshot.size);
  }
  if (msg.delta) responder.applyDelta(msg.delta);
  if (msg.ttlCaps) responder.setTtlCaps(new Map(msg.ttlCaps));
  if (msg.sendStats) port.postMessage({ stats: responder.stats });
  if (msg.stop) {
    clearInterval(timer);
    socket.close(() => { port.postMessage({ stats: responder.stats, stopped: true }); port.close(); });
  }
});
port.postMessage({ bound: true });
