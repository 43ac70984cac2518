import type { InFlightSpec } from './config.ts';
import { ProbeError } from './errors.ts';
import { countEstablished } from './proc-net-tcp.ts';
import { runCommand } from './run-command.ts';
import { httpGet } from './http-get.ts';
import { tcpTable, type TcpTable } from './tcp-table.ts';

/** How much work the instance still has in hand; 0 means quiet. */
export type InFlightProbe = () => Promise<number>;

/**
 * The probe for `drain.inFlight`. Counting connections reads `table` (this
 * platform's by default); where there is none the probe rejects with
 * InFlightUnavailableError, which names the probes to configure instead.
 */
export function createInFlightProbe(spec: InFlightSpec, timeoutMs: number, table: () => TcpTable = tcpTable): InFlightProbe {
  switch (spec.kind) {
    case 'none':
      return async () => 0;
    case 'connections': {
      let chosen: TcpTable | undefined;
      return async () => countEstablished(await (chosen ??= table()).read(), spec.ports);
    }
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

/** How `spec` counts, in words for the sidecar's start-up log; throws InFlightUnavailableError where connections cannot be counted. */
export function describeInFlight(spec: InFlightSpec, table: () => TcpTable = tcpTable): string {
  switch (spec.kind) {
    case 'none': return 'none (the drain does not wait for work in flight)';
    case 'connections': return `established connections on ports ${spec.ports.join(', ')} from ${table().method}`;
    case 'http': return `GET ${spec.url}${spec.field === undefined ? '' : ` (field ${spec.field})`}`;
    case 'command': return `command: ${spec.command}`;
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
  const res = await httpGet(url, timeoutMs, true);
  if ('error' in res) throw new ProbeError(`in-flight probe ${url}: ${res.error}`);
  if (res.status !== 200) throw new ProbeError(`in-flight probe ${url}: HTTP ${res.status}`);
  return parseCount(res.body, `in-flight probe ${url}`, field);
}
