import { connect } from 'node:net';
import type { CheckSpec, StdoutMatch } from './config.ts';
import { boundedMatcher } from './bounded-match.ts';
import { httpGet } from './http-get.ts';
import { runCommand, type CommandOutcome } from './run-command.ts';

/** One health check's verdict; `detail` says why, for logs and status. */
export interface CheckResult {
  ok: boolean;
  detail: string;
}

export type Check = () => Promise<CheckResult>;

/** Builds the check a config describes; each run is bounded by `timeoutMs`. */
export function createCheck(spec: CheckSpec, timeoutMs: number): Check {
  switch (spec.kind) {
    case 'command':
      return async () => judgeCommand(spec, await runCommand(spec.command, timeoutMs, { readStdout: spec.stdoutMatch !== undefined }), timeoutMs);
    case 'http':
      return () => httpCheck(spec.url, spec.statuses, spec.bodyMatch, timeoutMs);
    case 'tcp':
      return () => tcpCheck(spec.host, spec.port, timeoutMs);
  }
}

/**
 * registrar's rules: a non-zero exit fails unless `ignoreExitStatus`; then
 * stdout must match `stdoutMatch.pattern` (with `invert`, must not — an
 * option registrar read but never applied). A timeout always fails.
 */
export async function judgeCommand(spec: { ignoreExitStatus: boolean; stdoutMatch?: StdoutMatch }, out: CommandOutcome, matchTimeoutMs = 1000): Promise<CheckResult> {
  if (out.error) return { ok: false, detail: `could not run: ${out.error.message}` };
  if (out.timedOut) return { ok: false, detail: 'timed out (process group killed)' };
  if (out.exitCode !== 0 && !spec.ignoreExitStatus) {
    return { ok: false, detail: out.exitCode === undefined ? 'killed by a signal' : `exit status ${out.exitCode}` };
  }
  return judgeMatch(spec.stdoutMatch, out.stdout, 'stdout', matchTimeoutMs);
}

/**
 * Matches off the event loop, bounded by `timeoutMs` (the check's own
 * timeout): a pattern that backtracks for longer fails the check.
 */
export async function judgeMatch(match: StdoutMatch | undefined, text: string, what: string, timeoutMs: number): Promise<CheckResult> {
  if (!match) return { ok: true, detail: 'ok' };
  const outcome = await boundedMatcher.match(match.pattern, match.flags, text, timeoutMs);
  const shown = `/${match.pattern}/${match.flags ?? ''}`;
  if ('timedOut' in outcome) return { ok: false, detail: `matching ${what} against ${shown} took longer than ${timeoutMs} ms (stopped)` };
  if ('error' in outcome) return { ok: false, detail: `matching ${what} against ${shown} failed: ${outcome.error}` };
  const found = outcome.found;
  if (found === !match.invert) return { ok: true, detail: 'ok' };
  return { ok: false, detail: `${what} ${match.invert ? 'matches' : 'does not match'} /${match.pattern}/${match.flags ?? ''}` };
}

/** Accepted statuses: the listed ones, else any 2xx or 3xx. */
export function statusOk(status: number, statuses: number[]): boolean {
  return statuses.length ? statuses.includes(status) : status >= 200 && status < 400;
}

async function httpCheck(url: string, statuses: number[], bodyMatch: StdoutMatch | undefined, timeoutMs: number): Promise<CheckResult> {
  const res = await httpGet(url, timeoutMs, bodyMatch !== undefined);
  if ('error' in res) return { ok: false, detail: res.code === 'TIMEOUT' ? 'timed out' : `${res.code ?? 'error'}: ${res.error}` };
  if (!statusOk(res.status, statuses)) return { ok: false, detail: `HTTP ${res.status}` };
  return judgeMatch(bodyMatch, res.body, 'body', timeoutMs);
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: CheckResult): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, detail: 'connect timed out' }));
    socket.once('connect', () => done({ ok: true, detail: 'ok' }));
    socket.once('error', (err: Error & { code?: string }) => done({ ok: false, detail: err.code ?? err.message }));
  });
}
