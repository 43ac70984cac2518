import { HeraldError } from '../errors.ts';

/** A registry record (znode JSON) that does not have the shape binder expects; `field` names the bad part. */
export class InvalidRecordError extends HeraldError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('HERALD_INVALID_RECORD', `invalid registry record: ${field} ${reason}`);
    this.field = field;
  }
}

/** A connect string or store option that cannot be used. */
export class InvalidConnectStringError extends HeraldError {
  constructor(input: string, reason: string) {
    super('HERALD_INVALID_CONNECT_STRING', `invalid registry connect string ${JSON.stringify(input)}: ${reason}`);
  }
}

/** The store could not complete an operation: no session, timed out, or the server said no. */
export class RegistryUnavailableError extends HeraldError {
  constructor(operation: string, reason: string, options?: { cause?: unknown }) {
    super('HERALD_REGISTRY_UNAVAILABLE', `registry ${operation} failed: ${reason}`, options);
  }
}

/** An operation on a store after `close()`. */
export class RegistryClosedError extends HeraldError {
  constructor() {
    super('HERALD_REGISTRY_CLOSED', 'registry store is closed');
  }
}

/** An ephemeral node exists and belongs to another session. */
export class NodeOwnedError extends HeraldError {
  readonly path: string;
  constructor(path: string) {
    super('HERALD_NODE_OWNED', `${path} is an ephemeral node of another session`);
    this.path = path;
  }
}

/** A write that needs a node to be absent, or a parent that is ephemeral. */
export class NodeConflictError extends HeraldError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super('HERALD_NODE_CONFLICT', `${path}: ${reason}`);
    this.path = path;
  }
}

/** ZooKeeper refused a write (NOAUTH): this session's identity lacks the permission the node's (or its parent's) ACL requires. */
export class RegistryAccessError extends HeraldError {
  readonly path: string;
  constructor(operation: string, path: string) {
    super('HERALD_REGISTRY_NOAUTH', `registry ${operation} ${path} refused: not authorized (NOAUTH); check --zk-auth and 'herald acl show'`);
    this.path = path;
  }
}
