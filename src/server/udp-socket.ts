import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { ListenError } from './errors.ts';
import type { RrlGate } from './rrl-gate.ts';

/** What answers the packets of a UDP socket: a `Responder` (or the bench's Node floor, bench/lib/node-floor-server.ts). */
export interface PacketHandler {
  readonly stats: { udp: number };
  handle(msg: Buffer, tcp: boolean): Buffer | undefined;
  /** RRL's key of the reply `handle` last returned (`answerKey`), -1 when the gate is to read it off the reply. */
  readonly answerKey?: number;
}

/**
 * Binds a UDP socket that answers through `responder`. With `reusePort`
 * several threads bind the same address and the kernel spreads queries
 * over them.
 */
export function bindUdp(responder: PacketHandler, address: string, port: number, reusePort: boolean, rrl?: RrlGate): Promise<Socket> {
  const family = isIP(address) === 6 ? 6 : 4;
  const socket = createSocket({
    type: family === 6 ? 'udp6' : 'udp4', reusePort, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20,
    // Replies go to the literal address a query came from: skip dns.lookup's deferred callback.
    lookup: (host, _options, callback) => (callback as (err: null, address: string, family: number) => void)(null, host, family),
  });
  // Read once: a Responder's `stats` is a getter that brings its counts up to date, for readers, not for every packet.
  const stats = responder.stats;
  socket.on('message', (msg, rinfo) => {
    stats.udp++;
    let reply = responder.handle(msg, false);
    if (reply && rrl) reply = rrl.pass(reply, rinfo.address, responder.answerKey);
    if (reply) socket.send(reply, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => reject(new ListenError(address, port, err)));
    socket.bind(port, address, () => {
      socket.removeAllListeners('error');
      // A send error (an ICMP unreachable reported back) must not end the server.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}
