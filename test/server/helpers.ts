import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../fixtures/wait.ts';
import { reapOnExit } from '../fixtures/reap.ts';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { domainToPath } from '../../src/registry/path.ts';
import type { Store } from '../../src/registry/store.ts';
import { DnsServer } from '../../src/server/server.ts';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  raw: string;
}

/** Runs the real `dig` and splits its output into sections (lines without the trailing dot noise). */
export async function dig(port: number, args: string[], address = '127.0.0.1'): Promise<DigResult> {
  const { stdout } = await run('dig', [`@${address}`, '-p', String(port), '+norec', '+tries=1', '+time=2', '+nocookie', ...args]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NONE';
  const flags = (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  const section = (title: string) => {
    const m = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(stdout);
    return m ? m[1]!.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).filter(Boolean) : [];
  };
  return { status, flags, answer: section('ANSWER'), authority: section('AUTHORITY'), additional: section('ADDITIONAL'), raw: stdout };
}

/** A server over a fresh memory registry for `domain`, on a free loopback port. */
export async function memoryServer(domain = 'coal.joyent.us'): Promise<{ registry: MemoryRegistry; writer: Store; server: DnsServer; port: number; close(): Promise<void> }> {
  const registry = new MemoryRegistry();
  const writer = registry.connect();
  const reader = registry.connect();
  const mirror = reader.mirror(domainToPath(domain));
  const server = new DnsServer({ mirror, domain, listen: ['127.0.0.1:0'] });
  await server.start();
  await mirror.synced();
  return {
    registry, writer, server, port: server.addresses[0]!.port,
    async close() { await server.stop(); await reader.close(); await writer.close(); },
  };
}

export interface ServeProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** The DNS port (UDP and TCP) of the first `--listen`. */
  port: number;
  metricsUrl: string | undefined;
  registryUrl: string | undefined;
  /** The process's resident set size now, in MB (from /proc). */
  rssMb(): Promise<number>;
  stop(): Promise<number | null>;
}

/** Starts a real `herald serve` child process with `args` (plus `--listen 127.0.0.1:0`) and waits until it listens. */
export async function heraldServe(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  reapOnExit(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor('herald serve to listen', () => /listening 127\.0\.0\.1:\d+/.test(stdout) || child.exitCode !== null, 30_000, 20);
  if (child.exitCode !== null) throw new Error(`herald serve exited ${child.exitCode} at start:\n${stderr.slice(-2000)}`);
  return {
    child,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    port: Number(/listening 127\.0\.0\.1:(\d+)/.exec(stdout)![1]),
    metricsUrl: /^metrics (\S+)$/m.exec(stdout)?.[1],
    registryUrl: /^registry (\S+)$/m.exec(stdout)?.[1],
    async rssMb() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
