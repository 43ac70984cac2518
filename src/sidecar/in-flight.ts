import { request } from 'undici';
import type { InFlightSpec } from './config.ts';
import { ProbeError } from './errors.ts';
import { countEstablished, readTcpSockets } from './proc-net-tcp.ts';
import { runCommand } from './run-command.ts';

/** How much work the instance still has in hand; 0 means quiet. */
export type InFlightProbe = () => Promise<number>;

export function createInFlightProbe(spec: InFlightSpec, timeoutMs: number): InFlightProbe {
  switch (spec.kind) {
    case 'none':
      return async () => 0;
    case 'connections':
      return async () => countEstablished(await readTcpSockets(), spec.ports);
    case 'http':
      return () => httpCount(spec.url, spec.field, timeoutMs);
    case 'command':
      return async () => {
        const out = await runCommand(spec.command, timeoutMs);
        if (out.timedOut || out.exitCode !== 0) throw new ProbeError(`in-flight command ${out.timedOut ? 'timed out' : `exited ${out.exitCode ?? 'on a signal'}`}`);
        return parseCount(out.stdout, 'in-flight command output');
      };
  }
}

/** A count from text: a bare number, or JSON with the number at `field`. */
export function parseCount(text: string, what: string, field?: string): number {
  const trimmed = text.trim();
  let value: unknown = trimmed;
  if (field !== undefined) {
    try {
      value = (JSON.parse(trimmed) as Record<string, unknown>)[field];
    } catch {
      throw new ProbeError(`${what} is not JSON with a "${field}" field`);
    }
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new ProbeError(`${what} is not a non-negative integer: ${JSON.stringify(trimmed.slice(0, 40))}`);
  return n;
}

async function httpCount(url: string, field: string | undefined, timeoutMs: number): Promise<number> {
  const res = await request(url, { signal: AbortSignal.timeout(timeoutMs) }).catch((cause: unknown) => {
    throw new ProbeError(`in-flight probe ${url}: ${(cause as Error).message}`, { cause });
  });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new ProbeError(`in-flight probe ${url}: HTTP ${res.statusCode}`);
  return parseCount(body, `in-flight probe ${url}`, field);
}
