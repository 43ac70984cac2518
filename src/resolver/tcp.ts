import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { QueryTimeoutError, TransportError, UntrustedReplyError } from './errors.ts';
import type { Nameserver } from './nameserver.ts';
import { sameQuestion } from './validate.ts';
import type { EncodedQuestion } from './question.ts';

/**
 * One query over TCP (RFC 1035 §4.2.2: a 2-byte length before each message),
 * on a connection of its own, closed after the reply. Used after a truncated
 * UDP reply, so it is not the hot path.
 */
export function queryTcp(ns: Nameserver, q: EncodedQuestion, query: Buffer, timeoutMs: number, inFlight: Set<() => void>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ns.address, port: ns.port, noDelay: true });
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => finish(new QueryTimeoutError(ns.key, timeoutMs)), timeoutMs);
    const cancel = () => finish(new TransportError(ns.key, 'the DNS client was closed'));
    inFlight.add(cancel);
    let done = false;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (done) return;
      done = true;
      inFlight.delete(cancel);
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    socket.on('error', (err) => finish(new TransportError(ns.key, `TCP: ${err.message}`, { cause: err })));
    socket.on('close', () => finish(new TransportError(ns.key, 'TCP connection closed before a full reply')));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 2) return;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const length = all.readUInt16BE(0);
      if (received < 2 + length) return;
      const reply = all.subarray(2, 2 + length);
      if (reply.length < 12 || reply.readUInt16BE(0) !== query.readUInt16BE(0) || !sameQuestion(reply, q)) {
        finish(new UntrustedReplyError(ns.key, 'TCP reply does not match the query (ID or question)'));
        return;
      }
      finish(undefined, reply);
    });
    const frame = Buffer.allocUnsafe(2 + query.length);
    frame.writeUInt16BE(query.length, 0);
    query.copy(frame, 2);
    socket.write(frame);
  });
}
