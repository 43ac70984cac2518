import { HeraldError } from '../errors.ts';

/** Why a lease ended: see `Lease.signal`. */
export type LeaseEndReason =
  /** `release()` was called. */
  | 'released'
  /** The ZooKeeper session expired: the lease node is gone and another may hold it. */
  | 'expired'
  /** The store was closed under the lease. */
  | 'closed'
  /** No reply from ZooKeeper for longer than the session timeout less the safety margin. */
  | 'deadline'
  /** The lease node vanished or belongs to another session. */
  | 'gone';

/** The reason an aborted `Lease.signal` carries: the lease is no longer (or may no longer be) held. */
export class LeaseLostError extends HeraldError {
  readonly lease: string;
  readonly reason: LeaseEndReason;
  constructor(lease: string, reason: LeaseEndReason) {
    super(reason === 'released' ? 'HERALD_LEASE_RELEASED' : 'HERALD_LEASE_LOST', `lease ${lease} ${describe(reason)}`);
    this.lease = lease;
    this.reason = reason;
  }
}

function describe(reason: LeaseEndReason): string {
  switch (reason) {
    case 'released': return 'released';
    case 'expired': return 'lost: the ZooKeeper session expired';
    case 'closed': return 'lost: the registry store was closed';
    case 'deadline': return 'may be lost: no reply from ZooKeeper within the session timeout less the safety margin';
    case 'gone': return 'lost: its node is gone';
  }
}

/** `herald lease run` or a singleton was given a command that cannot be run. */
export class CommandNotFoundError extends HeraldError {
  readonly command: string;
  constructor(command: string, reason = 'not found') {
    super('HERALD_COMMAND_NOT_FOUND', `command ${JSON.stringify(command)}: ${reason}`);
    this.command = command;
  }
}
