import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { MAX_QUERY } from './responder.ts';
import type { ServerStats, TcpCloseReason } from './stats.ts';

export interface TcpLimits {
  /** Closed after this long without progress: no complete query read and no reply taken by the client. */
  idleMs: number;
  /** A query must arrive whole within this long of its first byte; a trickle cannot stretch it. */
  queryMs: number;
  /** Replies written but not yet taken by the kernel; reads pause beyond this many. */
  maxQueuedReplies: number;
  /** The same in bytes. */
  maxQueuedBytes: number;
}

/**
 * Serves one TCP connection: length-prefixed queries, pipelined, replies in
 * order. A client that does not read gets its reads paused once its queued
 * replies reach the limits (so memory stays bounded), and is closed when it
 * makes no progress for `idleMs`; a client that trickles bytes is closed
 * `queryMs` after a query's first byte. Only progress (a whole query, or a
 * reply drained) resets the idle clock.
 */
export function serveTcpConnection(conn: Socket, handle: (msg: Buffer) => Buffer | undefined, limits: TcpLimits, stats: ServerStats): void {
  let pending: Buffer = Buffer.alloc(0);
  let queued = 0;
  let paused = false;
  const close = (reason: TcpCloseReason) => {
    if (conn.destroyed) return;
    stats.tcpClosed[reason]++;
    conn.destroy();
  };
  const idle = setTimeout(() => close('idle'), limits.idleMs);
  let query: NodeJS.Timeout | undefined;
  const stopQueryClock = () => { if (query) { clearTimeout(query); query = undefined; } };
  conn.on('close', () => { clearTimeout(idle); stopQueryClock(); pending = Buffer.alloc(0); });
  const full = () => queued >= limits.maxQueuedReplies || conn.writableLength >= limits.maxQueuedBytes;
  const drained = (err?: Error | null) => {
    queued--;
    // A failed write (the client reset) ends the connection: nothing more is read or answered.
    if (err) { conn.destroy(); return; }
    idle.refresh();
    if (paused && !full() && !conn.destroyed && conn.writable) { paused = false; conn.resume(); pump(); }
  };
  const pump = () => {
    while (pending.length >= 2 && !conn.destroyed && conn.writable) {
      if (full()) { paused = true; conn.pause(); return; }
      const length = pending.readUInt16BE(0);
      if (length > MAX_QUERY) { stats.dropped.oversized++; close('oversized'); return; }
      if (pending.length < 2 + length) break;
      const msg = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      stopQueryClock();
      idle.refresh();
      stats.tcp++;
      const reply = handle(msg);
      if (reply) {
        const frame = Buffer.allocUnsafe(2 + reply.length);
        frame.writeUInt16BE(reply.length, 0);
        reply.copy(frame, 2);
        queued++;
        conn.write(frame, drained);
      }
    }
    if (pending.length === 0) stopQueryClock();
    else if (!query) query = setTimeout(() => close('slow_query'), limits.queryMs);
  };
  conn.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (!paused) pump();
  });
}
