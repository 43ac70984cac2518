import type { DrainPhase, DrainProgress } from '../drain/index.ts';
import type { InstanceInfo } from './services.ts';

/**
 * Where an instance stands, as an operator names it:
 * - `registered`: its host node exists (and its sidecar, if any, says so);
 * - `unhealthy`: its sidecar's health check has fallen;
 * - `draining`: a drain intent is in force and not finished (with the phase);
 * - `drained`: the drain finished (or hit its deadline: phase `deadline`);
 * - `starting` / `stopped`: its sidecar is coming up, or stopping or stopped;
 * - `absent`: nothing says why it is not registered;
 * - `rejected`: its host node exists but no DNS server can serve it (a record
 *   or a name that cannot be encoded: the servers skip that node alone).
 */
export type InstanceState = 'registered' | 'unhealthy' | 'draining' | 'drained' | 'starting' | 'stopped' | 'absent' | 'rejected';

/** `requested`: an intent the sidecar has not taken up (yet). */
export type ShownPhase = DrainPhase | 'requested';

export interface StateView {
  state: InstanceState;
  phase?: ShownPhase;
  /** `Date.now()` ms since when, when known. */
  since?: number;
  /** Why, in a few words: the drain reason, a stale status, ... */
  reason?: string;
  drain?: DrainProgress;
}

/** The `since` a sidecar publishes with its status (when it entered its state); older sidecars publish none. */
function publishedSince(info: InstanceInfo): number | undefined {
  const since = info.status?.since;
  return typeof since === 'number' ? since : undefined;
}

/** Pure: the state shown for one instance, from its host node, sidecar status and drain intent. */
export function instanceState(info: InstanceInfo): StateView {
  const { status, intent } = info;
  const present = info.node !== undefined;
  const since = publishedSince(info);
  if (present && (info.recordError !== undefined || info.nameError !== undefined)) {
    return { state: 'rejected', reason: `not served: ${info.recordError ?? info.nameError}` };
  }
  const at = (fallback: number | undefined): number | undefined => since ?? fallback;
  if (intent && (!status || status.intent !== intent.id)) {
    // The intent is there but the sidecar has not answered it (not running, or not yet).
    return { state: 'draining', phase: 'requested', ...opt('since', intent.requestedAt || undefined), reason: intent.reason };
  }
  if (!status) return present ? { state: 'registered' } : { state: 'absent', reason: 'no host node and no sidecar status' };
  const drain = status.drain;
  const withDrain = (v: StateView): StateView => (drain ? { ...v, drain } : v);
  switch (status.state) {
    case 'draining':
      // The drain's own times are the precise ones here.
      return withDrain({ state: 'draining', phase: drain?.phase ?? 'removing', ...opt('since', drain?.startedAt ?? at(status.updatedAt)), ...opt('reason', drain?.reason ?? intent?.reason) });
    case 'drained':
      return withDrain({ state: 'drained', ...opt<'phase', ShownPhase>('phase', drain?.phase === 'deadline' ? 'deadline' : undefined), ...opt('since', drain?.endedAt ?? at(status.updatedAt)), ...opt('reason', drain?.reason ?? intent?.reason) });
    case 'unhealthy':
      return { state: 'unhealthy', ...opt('since', at(status.updatedAt)), reason: present ? 'health check fell (host node still present)' : 'health check fell' };
    case 'registered':
      return present
        ? { state: 'registered', ...opt('since', at(status.updatedAt)) }
        : { state: 'absent', ...opt('since', at(status.updatedAt)), reason: 'sidecar status says registered, but there is no host node (sidecar gone?)' };
    case 'starting':
      return { state: 'starting', ...opt('since', at(status.updatedAt)), reason: status.healthy ? 'registering' : 'waiting for the health check to rise' };
    case 'stopping':
    case 'stopped':
      return withDrain({ state: 'stopped', ...opt('since', at(status.updatedAt)), reason: `sidecar ${status.state}` });
  }
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
