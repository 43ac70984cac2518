// dnsperf against a loopback server: queries/s, average latency and lost
// queries of one bounded run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DnsperfResult { qps: number; latencyMs: number; lost: number }

/** One dnsperf run of `seconds` against 127.0.0.1:`port` with the queries in `file` (16 clients, 200 outstanding). */
export async function dnsperf(port: number, file: string, seconds: number): Promise<DnsperfResult> {
  const { stdout } = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), '-c', '16', '-T', '1', '-q', '200'],
    { timeout: (seconds + 20) * 1000 });
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    latencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    lost: num(/Queries lost:\s+(\d+)/),
  };
}

/** The mean of several runs (lost queries summed). */
export function meanResult(rs: DnsperfResult[]): DnsperfResult {
  return {
    qps: rs.reduce((a, r) => a + r.qps, 0) / rs.length,
    latencyMs: rs.reduce((a, r) => a + r.latencyMs, 0) / rs.length,
    lost: rs.reduce((a, r) => a + r.lost, 0),
  };
}
