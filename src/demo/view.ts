import type { DrainProgress } from '../drain/index.ts';
import type { SidecarState } from '../drain/index.ts';

/** What the demo knows about one instance at one moment: plain data for the table. */
export interface InstanceView {
  name: string;
  port: number;
  pid: number | undefined;
  /** The service process, as the demo drives it. */
  process: 'starting' | 'up' | 'stopping' | 'down' | 'crashed';
  /** The sidecar's own state (registered, draining, drained, unhealthy, ...). */
  sidecar: SidecarState | 'none';
  /** The client's resolver holds it right now. */
  inRotation: boolean;
  /** Answers it gave the client, all run long. */
  served: number;
  /** Its share of the answers over the last few seconds (0..1). */
  recentShare: number;
  /** The agent's requests in flight to it. */
  inFlight: number;
  /** Attempts that failed on it (each retried elsewhere unless the request failed). */
  errors: number;
  drain: DrainProgress | undefined;
}

export interface DemoView {
  now: number;
  startedAt: number;
  /** What the scenario is doing: "rolling update 2/3: draining web-2". */
  step: string;
  rps: number;
  sent: number;
  ok: number;
  failed: number;
  inFlight: number;
  instances: InstanceView[];
}

/** Each instance's share of the answers between two cumulative counts. */
export function windowShares(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const delta: Record<string, number> = {};
  let total = 0;
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0);
    delta[name] = d;
    total += d;
  }
  for (const name of Object.keys(delta)) delta[name] = total > 0 ? (delta[name] ?? 0) / total : 0;
  return delta;
}

const s1 = (ms: number): string => `${(Math.max(0, ms) / 1000).toFixed(1)}s`;

/** The drain column: its phase and what it waits for, with a countdown where there is one. */
export function drainText(p: DrainProgress | undefined, now: number): string {
  if (!p) return '';
  switch (p.phase) {
    case 'removing':
      return 'removing';
    case 'absent': {
      const list = p.nameservers ?? [];
      if (list.length === 0) return 'asking nameservers';
      return `absent from ${list.filter((n) => n.state === 'absent').length}/${list.length} ns`;
    }
    case 'ttl':
      return `ttl ${s1((p.ttlEndsAt ?? now) - now)} left`;
    case 'in-flight':
      return p.inFlight === undefined ? 'counting in-flight' : `in-flight ${p.inFlight} (${s1(p.deadlineAt - now)} left)`;
    case 'drained':
      return `drained in ${s1((p.endedAt ?? now) - p.startedAt)}`;
    case 'deadline':
      return `DEADLINE: ${p.unmet ?? '?'} unmet`;
  }
}
