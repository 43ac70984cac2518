// ZooKeeper 3.6's persistent recursive watch (`addWatch`, opcode 106) over
// node-zookeeper-client, which predates it: one watch on a subtree's root
// that stays armed and reports every node created, deleted or changed under
// it, where one-shot watches need a data and a child watch per node, each
// re-armed by a read after it fires. Both halves reach into the library's
// connection manager (as the store's cork and watchdog do), guarded: a
// client without the parts used here gets no tree watch, never a broken one.
// The client is taken as any object (node-zookeeper-client ships no types, and the published declarations must not name it).

/** A watch event as the client delivers it. */
export interface ClientWatchEvent { type: number; path: string }

const OP_ADD_WATCH = 106;
const OP_REMOVE_WATCHES = 18;
/** Watcher.WatcherType.Any: data, child and persistent watches alike. */
const WATCHER_TYPE_ANY = 3;
/** A request whose successful reply the library takes without reading a body (SetWatches, opcode 101). */
const OP_BODILESS = 101;
const MODE_PERSISTENT_RECURSIVE = 1;
/** KeeperException.Code.UNIMPLEMENTED: what a server before 3.6 answers to an opcode it does not know (and then closes the connection). */
export const UNIMPLEMENTED = -6;
/**
 * KeeperException.Code.MARSHALLINGERROR: what a 3.6+ server answers when its
 * watch manager cannot hold persistent watches (`zookeeper.watchManagerName`
 * set to WatchManagerOptimized); the connection stays.
 */
export const CANNOT_HOLD = -5;

interface Queued { header: { xid: number; type: number }; payload: null; toBuffer(): Buffer }
interface ConnectionManager {
  queue(request: Queued, callback: (err: Error | null) => void): void;
  watcherManager: { emit(event: ClientWatchEvent): void };
}

function managerOf(client: object): ConnectionManager | undefined {
  const m = (client as unknown as { connectionManager?: Partial<ConnectionManager> }).connectionManager;
  return m && typeof m.queue === 'function' && m.watcherManager && typeof m.watcherManager.emit === 'function' ? (m as ConnectionManager) : undefined;
}

/** True when `client` is one this module can add tree watches to (`tapEvents` and `addTreeWatch`). */
export function canWatchTrees(client: object): boolean {
  return managerOf(client) !== undefined;
}

/**
 * Routes every watch event the client receives to `onEvent` as well as to
 * the library's own one-shot watchers. Those it passes on only for the four
 * event types the library knows: it throws on any other (a watch-removed
 * event, type 7, for one) from inside its socket's data handler. Once per client.
 */
export function tapEvents(client: object, onEvent: (event: ClientWatchEvent) => void): void {
  const wm = managerOf(client)?.watcherManager;
  if (!wm) return;
  const own = wm.emit.bind(wm);
  wm.emit = (event: ClientWatchEvent) => {
    onEvent(event);
    if (event.type >= 1 && event.type <= 4) own(event);
  };
}

/**
 * Sets a persistent recursive watch on `path` (a server path: any chroot
 * applied), which may not exist yet: its creation is reported too. It lasts
 * as long as the connection: after a reconnect it must be set again (the
 * library re-sends only its own watches). Rejects with the server's error:
 * `UNIMPLEMENTED` from a server before 3.6.
 */
export function addTreeWatch(client: object, path: string): Promise<void> {
  return sendPathAndInt(client, OP_ADD_WATCH, path, MODE_PERSISTENT_RECURSIVE);
}

/**
 * Takes this connection's watches on `path` off the server (`removeWatches`,
 * opcode 18, any kind): the tree watch set there, and with it any one-shot
 * watch on that very node. Without it a closed mirror's tree watch stays
 * until the connection ends, and the server goes on sending its events.
 * Rejects with NOWATCHER (-121) when there was none.
 */
export function removeTreeWatch(client: object, path: string): Promise<void> {
  return sendPathAndInt(client, OP_REMOVE_WATCHES, path, WATCHER_TYPE_ANY);
}

/** Queues a request whose body is a path and one int, and whose reply carries nothing but its error. */
function sendPathAndInt(client: object, opcode: number, path: string, value: number): Promise<void> {
  const manager = managerOf(client);
  if (!manager) return Promise.reject(new Error('this ZooKeeper client cannot send watch requests'));
  const name = Buffer.from(path, 'utf8');
  const header = { xid: 0, type: opcode };
  const request: Queued = {
    header,
    payload: null,
    toBuffer() {
      // length, xid, type; path (length-prefixed); the int.
      const out = Buffer.alloc(4 + 8 + 4 + name.length + 4);
      out.writeInt32BE(out.length - 4, 0);
      out.writeInt32BE(header.xid, 4);
      out.writeInt32BE(opcode, 8);
      out.writeInt32BE(name.length, 12);
      name.copy(out, 16);
      out.writeInt32BE(value, 16 + name.length);
      // Written: the library matches the reply by xid, then decodes it by this type, and resets the
      // connection on one it does not know. These replies carry nothing to decode.
      header.type = OP_BODILESS;
      return out;
    },
  };
  return new Promise((resolve, reject) => manager.queue(request, (err) => (err ? reject(err) : resolve())));
}
