export { acquireLease, type AcquireLeaseOptions } from './acquire.ts';
export { Lease, type LeaseEvents } from './lease.ts';
export { LeaseLostError, CommandNotFoundError, type LeaseEndReason } from './errors.ts';
export { LEASE_ROOT, leasePath, validateLeaseName } from './path.ts';
export { leaseStatus, type LeaseStatus, type LeaseContender, type LeaseHolder } from './status.ts';
export { runUnderLease, prepareCommand, leaseEnv, type RunUnderLeaseOptions, type RunOutcome } from './run.ts';
export type { GuardedCommand } from './guarded-command.ts';
export { resolveCommand, type CommandExit } from './command.ts';
export { Singleton, commandArgv, type SingletonOptions, type SingletonEvents } from './singleton.ts';
