import type { DemoCluster } from './cluster.ts';
import type { CrashRecord, UpdateRecord } from './summary.ts';
import { abortable } from '../abortable.ts';
import { pause, waitUntil } from './wait.ts';

/** What the scenario needs from the client side and the display. */
export interface ScenarioContext {
  cluster: DemoCluster;
  /** The client's resolver holds this instance now. */
  inRotation(name: string): boolean;
  /** Attempts the agent has retried on another backend so far. */
  retries(): number;
  /** A line for the event log. */
  event(text: string): void;
  /** What is happening now (the table's status line). */
  step(text: string): void;
  /** The run should end near this time (ms). */
  endsAt: number;
  signal: AbortSignal;
}

export interface ScenarioResult {
  updates: UpdateRecord[];
  crash: CrashRecord | undefined;
}

const ROTATION_TIMEOUT_MS = 20_000;
const MIN_PAUSE_MS = 1000;

const s2 = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * The story the demo tells under steady load: every instance in rotation;
 * a rolling update (drain → restart → resume, one instance at a time); a
 * kill -9 of one service process, which its sidecar's health check takes
 * out of DNS, then a supervisor-style restart. Steady-load pauses between
 * the steps stretch the run to about `endsAt`. Records are appended to
 * `result` as they complete, so an interrupted run still reports them.
 */
export async function runScenario(ctx: ScenarioContext, result: ScenarioResult): Promise<void> {
  const { cluster, signal } = ctx;
  const names = cluster.members.map((m) => m.name);
  ctx.step('waiting for every instance to be in rotation');
  await waitUntil('every instance in rotation', () => names.every((n) => ctx.inRotation(n)), ROTATION_TIMEOUT_MS, signal);
  ctx.event(`all ${names.length} instances in rotation; steady load`);

  // Steps left: one update per instance, then the crash.
  let estimateMs = (2 * cluster.ttl + 1.5) * 1000;
  const breather = async (stepsLeft: number, what: string): Promise<void> => {
    const spare = ctx.endsAt - Date.now() - stepsLeft * estimateMs;
    ctx.step(what);
    await pause(Math.max(MIN_PAUSE_MS, spare / (stepsLeft + 1)), signal);
  };

  await breather(names.length + 1, 'steady load');
  for (const [k, name] of names.entries()) {
    const t0 = Date.now();
    const stepOf = `rolling update ${k + 1}/${names.length}`;
    ctx.step(`${stepOf}: draining ${name}`);
    ctx.event(`${name}: drain requested (herald drain)`);
    const asked = Date.now();
    const drained = await abortable(cluster.drain(name, `rolling update ${k + 1}/${names.length}`), signal);
    const drainMs = Date.now() - asked;
    ctx.event(`${name}: ${drained.phase === 'drained' ? 'drained' : `drain hit its deadline (${drained.unmet ?? '?'} unmet)`} in ${s2(drainMs)}: ${drained.phases.map((p) => `${p.phase} ${s2(p.ms)}`).join(', ')}`);
    ctx.step(`${stepOf}: restarting ${name}`);
    const restartMs = await abortable(cluster.restart(name), signal);
    ctx.event(`${name}: restarted in ${s2(restartMs)} (pid ${cluster.member(name).process.pid ?? '?'})`);
    ctx.step(`${stepOf}: resuming ${name}`);
    const resumed = Date.now();
    await cluster.resume(name);
    ctx.event(`${name}: resumed (herald resume)`);
    await waitUntil(`${name} back in rotation`, () => ctx.inRotation(name), ROTATION_TIMEOUT_MS, signal);
    const backMs = Date.now() - resumed;
    ctx.event(`${name}: back in rotation ${s2(backMs)} after resume`);
    const record: UpdateRecord = {
      instance: name, outcome: drained.phase === 'drained' ? 'drained' : 'deadline', phases: drained.phases, drainMs, restartMs, backInRotationMs: backMs,
    };
    if (drained.unmet) record.unmet = drained.unmet;
    result.updates.push(record);
    estimateMs = Date.now() - t0;
    await breather(names.length - k, k + 1 < names.length ? 'steady load between updates' : 'steady load after the update');
  }

  const victim = names[Math.floor((names.length - 1) / 2)] ?? names[0]!;
  const retriesBefore = ctx.retries();
  ctx.step(`crash: kill -9 of ${victim}`);
  const pid = cluster.member(victim).process.pid;
  const crashed = Date.now();
  await cluster.crash(victim);
  ctx.event(`${victim}: kill -9 (pid ${pid ?? '?'}); clients retry elsewhere until it leaves DNS`);
  const crash: CrashRecord = { instance: victim, outOfRotationMs: undefined, retriedAttempts: 0, backInRotationMs: undefined };
  result.crash = crash;
  await waitUntil(`${victim} out of rotation`, () => !ctx.inRotation(victim), ROTATION_TIMEOUT_MS, signal);
  crash.outOfRotationMs = Date.now() - crashed;
  crash.retriedAttempts = ctx.retries() - retriesBefore;
  ctx.event(`${victim}: out of rotation ${s2(crash.outOfRotationMs)} after the crash; ${crash.retriedAttempts} attempts were retried on other instances meanwhile`);
  await pause(MIN_PAUSE_MS, signal);
  ctx.step(`crash: restarting ${victim}`);
  await abortable(cluster.revive(victim), signal);
  const revived = Date.now();
  ctx.event(`${victim}: restarted (pid ${cluster.member(victim).process.pid ?? '?'})`);
  await waitUntil(`${victim} back in rotation`, () => ctx.inRotation(victim), ROTATION_TIMEOUT_MS, signal);
  crash.backInRotationMs = Date.now() - revived;
  ctx.event(`${victim}: back in rotation ${s2(crash.backInRotationMs)} after its restart`);
  ctx.step('steady load before the end');
  await pause(Math.max(MIN_PAUSE_MS, ctx.endsAt - Date.now()), signal);
}
