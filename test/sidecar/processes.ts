import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reapOnExit } from '../fixtures/reap.ts';
import { waitFor } from '../fixtures/wait.ts';

// Real `herald` processes for the sidecar's end-to-end tests.

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface Running {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
  /** SIGTERM (then SIGKILL after 10 s); resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function herald(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  reapOnExit(child);
  const r: Running = {
    child, stdout: '', stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await r.exit;
      clearTimeout(timer);
      return code;
    },
  };
  child.stdout!.on('data', (d: Buffer) => { r.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { r.stderr += d.toString(); });
  return r;
}

/** Runs a `herald` command to its end. */
export async function heraldRun(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = herald(args);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
  const code = await r.exit;
  clearTimeout(timer);
  return { code, stdout: r.stdout, stderr: r.stderr };
}

/** `herald serve --zk` for a domain on a free port; resolves once it answers. */
export async function serve(zk: string, domain: string): Promise<{ port: number; proc: Running }> {
  const proc = herald(['serve', '--zk', zk, '--domain', domain, '--listen', '127.0.0.1:0', '--threads', '1', '--session-timeout', '4000']);
  await waitFor('herald serve to listen', () => /listening 127\.0\.0\.1:(\d+)/.test(proc.stdout), 20_000, 20)
    .catch((err: Error) => { throw new Error(`${err.message}\n${proc.stderr}`); });
  return { port: Number(/listening 127\.0\.0\.1:(\d+)/.exec(proc.stdout)![1]), proc };
}

/** A temp dir with a config file; `sidecar()` starts `herald sidecar` on it. */
export async function sidecarDir(): Promise<{ dir: string; write(config: object): Promise<string>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-sidecar-'));
  return {
    dir,
    async write(config) {
      const file = join(dir, 'config.json');
      await writeFile(file, JSON.stringify(config, null, 2));
      return file;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function startSidecar(args: string[]): Promise<Running> {
  const proc = herald(['sidecar', ...args]);
  // One that never starts (a wedged event loop) is killed, not left running after the test.
  await waitFor('herald sidecar to start', () => / started\n/.test(proc.stdout) || proc.child.exitCode !== null, 20_000, 20)
    .catch(async (err: unknown) => { await proc.stop('SIGKILL'); throw err; });
  if (proc.child.exitCode !== null) throw new Error(`herald sidecar exited ${proc.child.exitCode}: ${proc.stderr}`);
  return proc;
}
