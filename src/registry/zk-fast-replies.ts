// The replies a mirror lives on, decoded without node-zookeeper-client's
// generic record reader: a data read's and a child list read's successful
// replies, and watch events. The library decodes every field by looking its
// type up in a table and matching it against regular expressions, and
// gives each 64-bit field a buffer of its own (five per Stat): under churn
// and in a first sync that was a third of the main thread's CPU. What is
// handed on is what the library would hand on (the same fields, 64-bit
// ones as 8-byte buffers), to the same callbacks, in the same order; any
// other reply, an error, a connection being set up or a client with a
// chroot of its own goes to the library as before. Reaches into the
// library's connection manager (as the store's cork and watchdog do),
// guarded.
// The client is taken as any object (node-zookeeper-client ships no types, and the published declarations must not name it).

const XID_NOTIFICATION = -1;
const OP_GET_DATA = 4;
const OP_GET_CHILDREN2 = 12;
/** The library's ConnectionManager states in which replies are ordinary ones (not the session handshake's). */
const CONNECTED = 2;
const CONNECTED_READ_ONLY = 3;
/** A Stat on the wire: czxid mzxid ctime mtime (8 each), version cversion aversion (4), ephemeralOwner (8), dataLength numChildren (4), pzxid (8). */
const STAT_BYTES = 68;

interface Pending { request: { header: { xid: number; type: number } }; callback?: (err: null, response: { header: unknown; payload: unknown }) => void }
interface Manager {
  state: number;
  chrootPath?: string;
  zxid: Buffer;
  pendingQueue: Pending[];
  watcherManager: { emit(event: { type: number; state: number; path: string }): void };
}

/** A Stat as the library gives it, read from its 68 bytes on the wire. */
export interface WireStat {
  czxid: Buffer; mzxid: Buffer; ctime: Buffer; mtime: Buffer;
  version: number; cversion: number; aversion: number;
  ephemeralOwner: Buffer; dataLength: number; numChildren: number; pzxid: Buffer;
}

/** Reads the Stat at `at` of `reply`; its 64-bit fields are views of one copy of those bytes. */
export function readStat(reply: Buffer, at: number): WireStat {
  const b = Buffer.from(reply.subarray(at, at + STAT_BYTES));
  return {
    czxid: b.subarray(0, 8), mzxid: b.subarray(8, 16), ctime: b.subarray(16, 24), mtime: b.subarray(24, 32),
    version: b.readInt32BE(32), cversion: b.readInt32BE(36), aversion: b.readInt32BE(40),
    ephemeralOwner: b.subarray(44, 52), dataLength: b.readInt32BE(52), numChildren: b.readInt32BE(56), pzxid: b.subarray(60, 68),
  };
}

function managerOf(client: object): Manager | undefined {
  const m = (client as unknown as { connectionManager?: Partial<Manager> }).connectionManager;
  const ok = m && typeof m.state === 'number' && Buffer.isBuffer(m.zxid) && Array.isArray(m.pendingQueue) && typeof m.watcherManager?.emit === 'function';
  return ok ? (m as Manager) : undefined;
}

/**
 * For `client`, a function that takes one whole reply (its 4-byte length
 * first, `deliverWholeReplies`) and returns true when it dealt with it,
 * false when the library must; undefined when the client lacks the parts
 * this needs.
 */
export function fastReplies(client: object): ((reply: Buffer) => boolean) | undefined {
  const manager = managerOf(client);
  if (!manager) return undefined;
  return (reply) => {
    if ((manager.state !== CONNECTED && manager.state !== CONNECTED_READ_ONLY) || manager.chrootPath || reply.length < 20) return false;
    const xid = reply.readInt32BE(4);
    if (reply.readInt32BE(16) !== 0) return false;
    if (xid === XID_NOTIFICATION) {
      if (reply.length < 32) return false;
      const type = reply.readInt32BE(20);
      const state = reply.readInt32BE(24);
      const length = reply.readInt32BE(28);
      if (length < 0 || 32 + length > reply.length) return false;
      manager.watcherManager.emit({ type, state, path: reply.toString('utf8', 32, 32 + length) });
      return true;
    }
    const pending = manager.pendingQueue[0];
    const type = pending?.request.header.type;
    if (!pending || pending.request.header.xid !== xid || (type !== OP_GET_DATA && type !== OP_GET_CHILDREN2)) return false;
    // Decoded whole before anything changes: a reply that does not read right is the library's to judge.
    const payload = type === OP_GET_DATA ? dataReply(reply) : childrenReply(reply);
    if (payload === undefined) return false;
    manager.pendingQueue.shift();
    // A buffer of its own, as the library gives it: the last one may still be referred to by a request not yet written.
    manager.zxid = Buffer.from(reply.subarray(8, 16));
    pending.callback?.(null, { header: { xid, zxid: manager.zxid, err: 0 }, payload });
    return true;
  };
}

/** A GetDataResponse after the reply header (at 20): data (length-prefixed, -1 for none), then the Stat. */
function dataReply(reply: Buffer): { data: Buffer | undefined; stat: WireStat } | undefined {
  if (reply.length < 24) return undefined;
  const length = reply.readInt32BE(20);
  const statAt = 24 + Math.max(length, 0);
  if (length < -1 || statAt + STAT_BYTES > reply.length) return undefined;
  return { data: length < 0 ? undefined : Buffer.from(reply.subarray(24, statAt)), stat: readStat(reply, statAt) };
}

/** A GetChildren2Response after the reply header: the names (a count, then each length-prefixed), then the Stat. */
function childrenReply(reply: Buffer): { children: string[]; stat: WireStat } | undefined {
  if (reply.length < 24) return undefined;
  const count = reply.readInt32BE(20);
  // Each name takes 4 bytes at least: a count beyond that is not a reply this reads.
  if (count < 0 || count > (reply.length - 24) / 4) return undefined;
  const children = new Array<string>(count);
  let at = 24;
  for (let i = 0; i < count; i++) {
    if (at + 4 > reply.length) return undefined;
    const length = reply.readInt32BE(at);
    if (length < 0 || at + 4 + length > reply.length) return undefined;
    children[i] = reply.toString('utf8', at + 4, at + 4 + length);
    at += 4 + length;
  }
  if (at + STAT_BYTES > reply.length) return undefined;
  return { children, stat: readStat(reply, at) };
}
