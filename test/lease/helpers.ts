import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { waitFor } from '../fixtures/wait.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const MAIN = join(ROOT, 'src/cli/main.ts');
export const WORKER = join(ROOT, 'test/lease/worker.sh');
export const CANDIDATE = join(ROOT, 'test/lease/candidate.ts');

export interface LogLine { at: number; what: 'start' | 'work' | 'stop'; token: number; instance: string; pid: number; ppid: number }

export async function readLog(path: string): Promise<LogLine[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => {
    const [at, what, token, instance, pid, ppid] = line.split(' ');
    return { at: Number(at), what: what as LogLine['what'], token: Number(token), instance: instance!, pid: Number(pid), ppid: Number(ppid) };
  });
}

export interface Interval { token: number; instance: string; pid: number; ppid: number; start: number; end: number; stopped: boolean; lines: LogLine[] }

/** One interval per token: from its start line to its stop line (or its last line, when it was killed). */
export function intervals(lines: LogLine[]): Interval[] {
  const byToken = new Map<number, Interval>();
  for (const l of lines) {
    let i = byToken.get(l.token);
    if (!i) byToken.set(l.token, i = { token: l.token, instance: l.instance, pid: l.pid, ppid: l.ppid, start: Infinity, end: -Infinity, stopped: false, lines: [] });
    i.lines.push(l);
    if (l.what === 'start') i.start = Math.min(i.start, l.at);
    i.end = Math.max(i.end, l.at);
    if (l.what === 'stop') i.stopped = true;
  }
  return [...byToken.values()].sort((a, b) => a.start - b.start);
}

/** No two intervals overlap, and tokens strictly increase in the order the intervals started. */
export function assertExclusive(t: Test, list: Interval[]): void {
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1]!;
    const cur = list[i]!;
    t.ok(cur.start >= prev.end, `${cur.instance} (token ${cur.token}) started at ${cur.start}, after ${prev.instance} (token ${prev.token}) ended at ${prev.end}`);
    t.ok(cur.token > prev.token, `token ${cur.token} > ${prev.token}`);
  }
}

export interface Candidate { child: ChildProcess; instance: string; stderr: string; exited: Promise<number | null> }

/** In the file's order: no line of a token follows a line of a greater token. */
export function assertTokensNeverGoBack(t: Test, lines: LogLine[]): void {
  let newest = -Infinity;
  const late = lines.filter((l) => { const back = l.token < newest; newest = Math.max(newest, l.token); return back; });
  t.same(late, [], 'no line of an older token after a line of a newer one');
}

/** `herald lease run` in a process group of its own (an instance), running worker.sh. */
export function startCandidate(opts: { zk: string; name: string; instance: string; log: string; sessionMs: number; workUnits?: number; extra?: string[] }): Candidate {
  const child = spawn(NODE, [MAIN, 'lease', 'run', '--zk', opts.zk, '--session-timeout', String(opts.sessionMs), '--instance', opts.instance, '--grace', '0.5',
    ...(opts.extra ?? []), opts.name, '--', 'sh', WORKER], {
    detached: true, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LEASE_LOG: opts.log, ...(opts.workUnits === undefined ? {} : { WORK_UNITS: String(opts.workUnits) }) },
  });
  const c: Candidate = { child, instance: opts.instance, stderr: '', exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { c.stderr += d; });
  return c;
}

/** Sends `sig` to a whole process group; quiet when it is gone. */
export function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try { process.kill(-pid, sig); } catch { /* gone */ }
}

/** Kills every candidate and every command it started (by the pids in the log). */
export async function cleanUp(candidates: Candidate[], log: string): Promise<void> {
  for (const line of await readLog(log)) { killGroup(line.pid, 'SIGCONT'); killGroup(line.pid, 'SIGKILL'); }
  for (const c of candidates) { killGroup(c.child.pid, 'SIGCONT'); killGroup(c.child.pid, 'SIGKILL'); }
  await Promise.all(candidates.map((c) => c.exited));
}

/** The interval of the first token above `after`, once its start line is in the log. */
export function nextHolder(log: string, after: number, timeoutMs = 15_000): Promise<Interval> {
  return waitFor(`a holder after token ${after}`, async () => intervals(await readLog(log)).find((i) => i.token > after && i.start !== Infinity), timeoutMs, 10);
}

/** The holder now: the greatest token whose command has started and not written its stop line. */
export function currentHolder(log: string, timeoutMs = 15_000): Promise<Interval> {
  return waitFor('a running holder', async () => intervals(await readLog(log)).filter((i) => i.start !== Infinity && !i.stopped).at(-1), timeoutMs, 10);
}

/** The interval of `token` as the log has it now. */
export async function intervalOf(log: string, token: number): Promise<Interval> {
  return intervals(await readLog(log)).find((i) => i.token === token)!;
}

/** One fault's figures: how long after it the old command wrote its last line, and the next holder its first. */
export interface Takeover { commandEndMs: number; nextStartMs: number }

/** After a fault at `at` on the holder `old`: its command ended inside `windowMs`, and the next holder started after that. */
export async function checkTakeover(t: Test, log: string, old: Interval, at: number, windowMs: number): Promise<{ next: Interval; figures: Takeover }> {
  const next = await nextHolder(log, old.token);
  const ended = await intervalOf(log, old.token);
  const figures = { commandEndMs: ended.end - at, nextStartMs: next.start - at };
  t.ok(figures.commandEndMs <= windowMs, `token ${old.token}'s command wrote its last line ${figures.commandEndMs} ms after the fault (trusted window ${windowMs} ms)`);
  t.ok(next.start >= ended.end, `token ${next.token} started ${next.start - ended.end} ms after token ${old.token}'s last line`);
  return { next, figures };
}

export function spread(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `min ${s[0]} ms, median ${s[Math.floor(s.length / 2)]} ms, max ${s.at(-1)} ms`;
}

/** Writes a sidecar config for `instance` with `singleton` running worker.sh under the lease `publisher`; returns its path. */
export async function writeSingletonConfig(dir: string, instance: string, opts: { domain: string; zkPort: number; sessionMs: number; graceMs?: number }): Promise<string> {
  const file = join(dir, `${instance}.json`);
  await writeFile(file, JSON.stringify({
    registration: { domain: opts.domain, type: 'load_balancer', ports: [8080] },
    adminIp: '127.0.0.1', instance,
    drain: { nameservers: ['127.0.0.1:9'], deadline: 500, signalDeadline: 200, ttlMargin: 0, lookupTimeout: 100 },
    zookeeper: { servers: [{ host: '127.0.0.1', port: opts.zkPort }], timeout: opts.sessionMs },
    // The grace is cut to half the trusted window where that is shorter.
    singleton: { name: 'publisher', command: ['sh', WORKER], grace: opts.graceMs ?? 2000, restartDelay: 100 },
  }));
  return file;
}
