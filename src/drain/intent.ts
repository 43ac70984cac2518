import { domainToPath } from '../registry/index.ts';
import type { DrainProgress } from './progress.ts';

// Herald's own state lives outside every DNS subtree, so binder and the DNS
// server never see it:
//   /herald/drain/<domain path>/<instance>   the intent (persistent; written by `herald drain`)
//   /herald/status/<domain path>/<instance>  the sidecar's status (persistent; written by the sidecar)
// Both persist: an intent survives a sidecar restart, and "drained" stays
// readable after the sidecar has stopped.

export const DRAIN_ROOT = '/herald/drain';
export const STATUS_ROOT = '/herald/status';

export function intentPath(domain: string, instance: string): string {
  return `${DRAIN_ROOT}${domainToPath(domain)}/${instance}`;
}

export function statusPath(domain: string, instance: string): string {
  return `${STATUS_ROOT}${domainToPath(domain)}/${instance}`;
}

export interface DrainIntent {
  /** Ties the sidecar's status to this request. */
  id: string;
  reason: string;
  /** The drain's deadline, from when the sidecar starts it; absent: the sidecar's `drain.deadline`. */
  deadlineMs?: number;
  requestedAt: number;
  by?: string;
}

export function newIntent(reason: string, deadlineMs: number | undefined, by?: string): DrainIntent {
  const intent: DrainIntent = { id: process.getBuiltinModule('node:crypto').randomUUID(), reason, requestedAt: Date.now() };
  if (deadlineMs !== undefined) intent.deadlineMs = deadlineMs;
  if (by !== undefined) intent.by = by;
  return intent;
}

/** Reads an intent znode's data; a node with unreadable data still means "drain" (with the default deadline). */
export function parseIntent(data: string | null, defaultDeadlineMs: number): DrainIntent & { deadlineMs: number } {
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = data === null ? {} : JSON.parse(data);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    // Someone wrote the node by hand: the node itself is the request.
  }
  const deadline = json['deadlineMs'];
  return {
    id: typeof json['id'] === 'string' ? json['id'] : `raw:${data ?? ''}`,
    reason: typeof json['reason'] === 'string' ? json['reason'] : 'drain requested',
    deadlineMs: typeof deadline === 'number' && deadline >= 0 ? deadline : defaultDeadlineMs,
    requestedAt: typeof json['requestedAt'] === 'number' ? json['requestedAt'] : 0,
  };
}

/** Where the sidecar stands, as published beside the intent and over the admin socket. */
export type SidecarState = 'starting' | 'unhealthy' | 'registered' | 'draining' | 'drained' | 'stopping' | 'stopped';

export interface SidecarStatus {
  state: SidecarState;
  domain: string;
  instance: string;
  healthy: boolean;
  registered: boolean;
  /** The intent this status answers (its id), when draining or drained. */
  intent?: string;
  drain?: DrainProgress;
  updatedAt: number;
  pid: number;
  /** When `state` last changed (`Date.now()` ms): what `herald status` shows as "since". */
  since?: number;
  /** The latest health check result as of this status (published at once when pass/fail flips). */
  lastCheck?: { ok: boolean; detail: string; at: number };
}

export function parseStatus(data: string | null): SidecarStatus | undefined {
  if (data === null) return undefined;
  try {
    const json = JSON.parse(data) as SidecarStatus;
    return typeof json === 'object' && json !== null && typeof json.state === 'string' ? json : undefined;
  } catch {
    return undefined;
  }
}
