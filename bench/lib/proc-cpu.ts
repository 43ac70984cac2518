// CPU time of a process (all its threads) and which process holds a UDP
// port: how a bench reads what each server spent during a run.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds `pid` has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  // After the command name: utime and stime are fields 14 and 15 (man proc).
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** User + system CPU seconds the processes `pids` have used so far, together. */
export async function totalCpuSeconds(pids: readonly number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) total += await cpuSeconds(pid);
  return total;
}

/** The processes holding a socket on UDP port `port` (NSD's server processes each hold one, with SO_REUSEPORT). */
export async function udpPortPids(port: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-Hulpn', `sport = :${port}`]);
  const pids = new Set([...stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])));
  if (pids.size === 0) throw new Error(`no process found on udp port ${port}:\n${stdout}`);
  return [...pids];
}

/** CPU seconds of each of `pid`'s threads so far, keyed `name/tid` (names: `MainThread`, `WorkerThread` for worker_threads, `V8Worker` for V8's GC and compiler helpers, ...). */
export async function threadCpuSeconds(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const { readdir } = await import('node:fs/promises');
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    try {
      const [comm, stat] = await Promise.all([readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8'), readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8')]);
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(`${comm.trim()}/${tid}`, (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return out;
}
