// node-zookeeper-client reads one reply off the front of what its socket
// delivered, then copies the rest into a new buffer (Buffer.concat) before
// it reads the next: a 64 KiB read holding 300 replies is copied 300 times,
// quadratic in the read. A mirror's first sync at 100k instances is ~200k
// replies in such reads. This hands the library one whole reply at a time,
// so it never has a rest to copy; a reply split over reads is joined once,
// when its last byte arrives. Reaches into the library's connection
// manager (as the store's cork and watchdog do), guarded: without the part
// used here, the client reads as before.
// The client is taken as any object (node-zookeeper-client ships no types, and the published declarations must not name it).

interface Manager { socket?: { destroyed?: boolean }; onSocketData: (chunk: Buffer) => void }

/**
 * Makes `client` take its socket's bytes one whole reply at a time. Call
 * before `connect()`: each connection binds the handler then. `first`, when
 * given, sees each reply before the library, which gets only those it
 * returns false for (zk-fast-replies.ts).
 */
export function deliverWholeReplies(client: object, first?: (reply: Buffer) => boolean): void {
  const manager = (client as unknown as { connectionManager?: Partial<Manager> }).connectionManager;
  if (!manager || typeof manager.onSocketData !== 'function') return;
  const own = manager.onSocketData;
  let socket: unknown;
  /** The start of a reply not yet whole, in the reads it came in. */
  let parts: Buffer[] = [];
  let held = 0;
  manager.onSocketData = (chunk: Buffer): void => {
    // A new connection starts clean: nothing of the last one's partial reply carries over.
    if (manager.socket !== socket) { socket = manager.socket; parts = []; held = 0; }
    if (chunk.length === 0) return;
    let buf = chunk;
    if (held > 0) {
      parts.push(chunk);
      held += chunk.length;
      const head = parts[0]!;
      const need = held >= 4 ? 4 + (head.length >= 4 ? head.readInt32BE(0) : Buffer.concat(parts, 4).readInt32BE(0)) : Infinity;
      if (held < need) return;
      buf = Buffer.concat(parts, held);
      parts = [];
      held = 0;
    }
    let at = 0;
    while (buf.length - at >= 4) {
      const size = buf.readInt32BE(at);
      // A length no reply has: the library's own handling of the stream decides (it resets the connection).
      if (size < 0) { own.call(manager, buf.subarray(at)); return; }
      if (buf.length - at < 4 + size) break;
      const reply = buf.subarray(at, at + 4 + size);
      if (first === undefined || !first(reply)) own.call(manager, reply);
      at += 4 + size;
      if (manager.socket !== socket || manager.socket?.destroyed) return;
    }
    if (at < buf.length) { parts = [buf.subarray(at)]; held = buf.length - at; }
  };
}
