// dnsperf against a loopback server: queries/s, average latency, lost
// queries and dnsperf's own CPU of one bounded run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DnsperfResult {
  qps: number;
  latencyMs: number;
  lost: number;
  /** dnsperf's own CPU time (user + system) over the run's length: 1 is one core busy. */
  cores: number;
}

export interface DnsperfOptions {
  /** dnsperf `-c` (source ports), `-T` (threads), `-q` (outstanding). @default 16, 1, 200 */
  clients?: number;
  threads?: number;
  outstanding?: number;
  /** Run dnsperf on these CPUs only (`taskset -c`). */
  cpus?: string;
}

/** One dnsperf run of `seconds` against 127.0.0.1:`port` with the queries in `file`. */
export async function dnsperf(port: number, file: string, seconds: number, options: DnsperfOptions = {}): Promise<DnsperfResult> {
  const { clients = 16, threads = 1, outstanding = 200, cpus } = options;
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), '-c', String(clients), '-T', String(threads), '-q', String(outstanding)];
  const command = ['/usr/bin/time', '-f', 'cpu %U %S', ...(cpus ? ['taskset', '-c', cpus] : []), 'dnsperf', ...args];
  const { stdout, stderr } = await run(command[0]!, command.slice(1), { timeout: (seconds + 20) * 1000 });
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  const elapsed = num(/Run time \(s\):\s+([\d.]+)/);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    latencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    lost: num(/Queries lost:\s+(\d+)/),
    cores: cpu ? (Number(cpu[1]) + Number(cpu[2])) / elapsed : NaN,
  };
}
