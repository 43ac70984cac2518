import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MemoryRegistry } from '../../src/registry/memory.ts';
import { domainToPath } from '../../src/registry/path.ts';
import type { Store } from '../../src/registry/store.ts';
import { DnsServer } from '../../src/server/server.ts';

const run = promisify(execFile);

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
