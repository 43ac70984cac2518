// The drain protocol's records in the registry, shared by the sidecar (which
// carries drains out), `herald drain`/`resume`, the operator view, the demo
// and `herald roll`, and the client of a sidecar's admin socket (the sidecar
// listens). It imports only the registry.
export { intentPath, statusPath, newIntent, parseIntent, parseStatus, DRAIN_ROOT, STATUS_ROOT } from './intent.ts';
export type { DrainIntent, SidecarStatus, SidecarState } from './intent.ts';
export {
  startDrain, isFinished, enterPhase, mergePresence, absentCount, hitDeadline, describeProgress, phaseLine,
} from './progress.ts';
export type { DrainProgress, DrainPhase, WaitPhase, Presence, NameserverPresence } from './progress.ts';
export { drainInstance, resumeInstance, type DrainRequestOptions, type DrainOutcome } from './client.ts';
export { TTL_ROOT, ttlOverridePath, parseTtlOverride, ttlCaps, clientHoldMs, readClientHoldMs, type TtlOverride } from './ttl-override.ts';
export { adminRequest, type AdminRequest } from './admin-request.ts';
export { DrainRequestError, AdminSocketError } from './errors.ts';
