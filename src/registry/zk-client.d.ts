// The part of node-zookeeper-client (which ships no types) that the registry uses.
declare module 'node-zookeeper-client' {
  import type { EventEmitter } from 'node:events';

  export interface State { name: string; code: number }
  export interface Stat { ephemeralOwner: Buffer; version: number; numChildren: number }
  export interface WatchEvent { type: number; name: string; path: string }
  export type Watcher = (event: WatchEvent) => void;
  export interface ZkError extends Error { code: number; getCode(): number }

  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getState(): State;
    getSessionId(): Buffer;
    getSessionTimeout(): number;
    create(path: string, data: Buffer | null, mode: number, cb: (err: ZkError | null, path: string) => void): void;
    create(path: string, data: Buffer | null, acls: ACL[], mode: number, cb: (err: ZkError | null, path: string) => void): void;
    addAuthInfo(scheme: string, auth: Buffer): void;
    setACL(path: string, acls: ACL[], version: number, cb: (err: ZkError | null, stat: Stat) => void): void;
    getACL(path: string, cb: (err: ZkError | null, acls: ACL[], stat: Stat) => void): void;
    remove(path: string, version: number, cb: (err: ZkError | null) => void): void;
    setData(path: string, data: Buffer | null, version: number, cb: (err: ZkError | null, stat: Stat) => void): void;
    getData(path: string, watcher: Watcher | undefined, cb: (err: ZkError | null, data: Buffer | undefined, stat: Stat) => void): void;
    exists(path: string, watcher: Watcher | undefined, cb: (err: ZkError | null, stat: Stat | null) => void): void;
    getChildren(path: string, watcher: Watcher | undefined, cb: (err: ZkError | null, children: string[], stat: Stat) => void): void;
  }

  export class Id { constructor(scheme: string, id: string); scheme: string; id: string }
  export class ACL { constructor(permission: number, id: Id); permission: number; id: Id }
  export function createClient(connect: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): Client;
  export const CreateMode: { PERSISTENT: number; EPHEMERAL: number; EPHEMERAL_SEQUENTIAL: number };
  export const State: {
    DISCONNECTED: State; SYNC_CONNECTED: State; AUTH_FAILED: State; CONNECTED_READ_ONLY: State; EXPIRED: State;
  };
  export const Event: { NODE_CREATED: number; NODE_DELETED: number; NODE_DATA_CHANGED: number; NODE_CHILDREN_CHANGED: number };
  export const Exception: { NO_NODE: number; NODE_EXISTS: number; NOT_EMPTY: number; NO_CHILDREN_FOR_EPHEMERALS: number; CONNECTION_LOSS: number; NO_AUTH: number; INVALID_ACL: number };
  const zookeeper: {
    createClient: typeof createClient; ACL: typeof ACL; Id: typeof Id; CreateMode: typeof CreateMode; State: typeof State; Event: typeof Event; Exception: typeof Exception;
  };
  export default zookeeper;
}
