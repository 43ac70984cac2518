import type { DrainPhase, WaitPhase } from '../drain/index.ts';
import type { LoadFailure, LoadStats } from './load-loop.ts';

/** One instance's turn in the rolling update, measured by the demo. */
export interface UpdateRecord {
  instance: string;
  /** How the drain ended. */
  outcome: Extract<DrainPhase, 'drained' | 'deadline'> | 'cancelled';
  unmet?: WaitPhase;
  /** The sidecar's phases, in order, with their durations (ms). */
  phases: { phase: WaitPhase; ms: number }[];
  /** Drain asked → drained (ms). */
  drainMs: number;
  /** Stop of the old process → the new one accepts connections (ms). */
  restartMs: number;
  /** Resume → the client's resolver holds it again (ms). */
  backInRotationMs: number;
}

/** The crash: kill -9 of one service process. */
export interface CrashRecord {
  instance: string;
  /** kill -9 → out of the client's rotation (health check fell, DNS dropped it, the resolver refreshed) (ms). */
  outOfRotationMs: number | undefined;
  /** Attempts the agent retried on another instance between the kill and its leaving rotation. */
  retriedAttempts: number;
  /** Restarted (as a supervisor would) → back in rotation (ms). */
  backInRotationMs: number | undefined;
}

export interface DemoSummary {
  /** True when no request failed, every drain ended `drained` and every step completed. */
  ok: boolean;
  interrupted: boolean;
  /** Why the scenario stopped early, when a step never completed. */
  error?: string;
  durationMs: number;
  rps: number;
  requests: { sent: number; ok: number; failed: number };
  maxLatencyMs: number;
  instances: { name: string; served: number; share: number }[];
  updates: UpdateRecord[];
  crash: CrashRecord | undefined;
  failures: LoadFailure[];
}

export function buildSummary(input: {
  load: LoadStats; rps: number; durationMs: number; interrupted: boolean; names: readonly string[];
  updates: UpdateRecord[]; crash: CrashRecord | undefined; error?: string;
}): DemoSummary {
  const { load } = input;
  const names = [...new Set([...input.names, ...Object.keys(load.byInstance)])];
  const instances = names.map((name) => {
    const served = load.byInstance[name] ?? 0;
    return { name, served, share: load.ok > 0 ? served / load.ok : 0 };
  });
  const summary: DemoSummary = {
    ok: load.failed === 0 && input.updates.every((u) => u.outcome === 'drained') && input.error === undefined,
    interrupted: input.interrupted,
    durationMs: input.durationMs,
    rps: input.rps,
    requests: { sent: load.sent, ok: load.ok, failed: load.failed },
    maxLatencyMs: load.maxLatencyMs,
    instances,
    updates: input.updates,
    crash: input.crash,
    failures: load.failures,
  };
  if (input.error !== undefined) summary.error = input.error;
  return summary;
}

const sec = (ms: number | undefined): string => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The summary as text, for people. */
export function renderSummary(s: DemoSummary): string {
  const lines: string[] = [];
  lines.push(`summary${s.interrupted ? ' (interrupted)' : ''}: ${sec(s.durationMs)} at ${s.rps} requests/s`);
  lines.push(`  requests  ${s.requests.sent} sent, ${s.requests.ok} ok, ${s.requests.failed} failed; slowest answer ${s.maxLatencyMs} ms`);
  lines.push('  share     ' + s.instances.map((i) => `${i.name} ${pct(i.share)} (${i.served})`).join(', '));
  for (const u of s.updates) {
    const phases = u.phases.map((p) => `${p.phase} ${(p.ms / 1000).toFixed(2)}`).join(' → ');
    const end = u.outcome === 'drained' ? 'drained' : `${u.outcome}${u.unmet ? ` (${u.unmet} unmet)` : ''}`;
    lines.push(`  update    ${u.instance}: ${end} in ${sec(u.drainMs)} (${phases} s)`);
    lines.push(`            ${' '.repeat(u.instance.length)}  restart ${sec(u.restartMs)}; back in rotation ${sec(u.backInRotationMs)} after resume`);
  }
  if (s.crash) {
    const c = s.crash;
    lines.push(`  crash     ${c.instance}: kill -9 → out of rotation in ${sec(c.outOfRotationMs)}, ${c.retriedAttempts} attempts retried on other instances`);
    lines.push(`            ${' '.repeat(c.instance.length)}  restarted → back in rotation in ${sec(c.backInRotationMs)}`);
  }
  for (const f of s.failures.slice(0, 5)) lines.push(`  failed    ${f.id}: ${f.code} ${f.message}`);
  if (s.error) lines.push(`  stopped   ${s.error}`);
  const why = [`${s.requests.failed} requests failed`, ...(s.updates.some((u) => u.outcome !== 'drained') ? ['a drain did not finish'] : []), ...(s.error ? ['a step did not complete'] : [])];
  lines.push(s.ok ? '  result    OK: no request failed' : `  result    FAILED: ${why.join(', ')}`);
  return lines.join('\n') + '\n';
}
