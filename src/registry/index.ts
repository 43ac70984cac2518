// The registry folder's API for the rest of src/: what users get (public.ts,
// which src/index.ts re-exports) and what other folders use inside.
export * from './public.ts';
export { openRegistryWarning } from './acl-apply.ts';
export { DRAIN_ROOT, HERALD_ROOT, LEASE_ROOT, POLICY_PATH, STATUS_ROOT, permString } from './acl-policy.ts';
export { isLoopback } from './store-memory-server.ts';
export { REJECT_REASONS, type Rejection, type RejectReason, nameProblem, recordRejectReason } from './rejection.ts';
