// Figure: what one sidecar costs a zone. `herald sidecar` with a command
// health check every second (registrar's kind of check, `/bin/true`),
// registered in a real ZooKeeper, run three ways when they exist — from the
// TypeScript sources, from the compiled dist/ (`npm run build`) and as the
// single executable (build/herald, `npm run build:sea`) — beside an idle
// Node 24 process, the floor any Node program pays, all in the same run.
// RSS once settled and CPU per minute of run time, from /proc. registrar
// itself cannot be installed here (its ZooKeeper client comes from git), so
// its figure measured on this machine kind before (Node 20: 52 MB RSS,
// 0.28% CPU) is printed as the reference, not as a same-run anchor.
// Bounded: SETTLE_S + WINDOW_S seconds, all processes at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapOnExit } from '../test/fixtures/reap.ts';
import { ZooKeeper } from '../test/fixtures/zookeeper.ts';

const SETTLE_S = Number(process.env['SETTLE_S'] ?? 10);
const WINDOW_S = Number(process.env['WINDOW_S'] ?? 30);
const REGISTRAR = { rssMb: 52, cpuPct: 0.28 };
const TICKS = 100; // USER_HZ on Linux

async function cpuTicks(pid: number): Promise<number> {
  // Fields after the command name: state is field 3; utime 14, stime 15 (1-based, man proc).
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function rssMb(pid: number): Promise<number> {
  return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

const zk = await ZooKeeper.start();
const dir = await mkdtemp(join(tmpdir(), 'herald-footprint-'));
const contenders: { name: string; child: ChildProcess }[] = [];
try {
  const config = (instance: string) => ({
    registration: {
      domain: 'web.coal.joyent.us', type: 'load_balancer', ttl: 30, ports: [8080],
      service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 8080, ttl: 60 } },
    },
    instance, adminIp: '127.0.0.1', adminSocket: 'none',
    healthCheck: { command: '/bin/true', interval: 1000, timeout: 1000 },
    zookeeper: { servers: [{ host: '127.0.0.1', port: zk.ports[0]! }], timeout: 10_000 },
    logLevel: 'warn',
  });
  const ways: [string, string, string[]][] = [['idle node', process.execPath, ['-e', 'setInterval(() => {}, 1e9)']]];
  ways.push(['sidecar, sources', process.execPath, ['src/cli/main.ts', 'sidecar', '--config']]);
  if (existsSync('dist/cli/main.js')) ways.push(['sidecar, dist/', process.execPath, ['dist/cli/main.js', 'sidecar', '--config']]);
  if (existsSync('build/herald')) ways.push(['sidecar, executable', 'build/herald', ['sidecar', '--config']]);
  for (const [i, [name, command, args]] of ways.entries()) {
    if (args.at(-1) === '--config') {
      const file = join(dir, `c${i}.json`);
      await writeFile(file, JSON.stringify(config(`i${i}`)));
      args.push(file);
    }
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    reapOnExit(child);
    contenders.push({ name, child });
  }
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const before = await Promise.all(contenders.map((c) => cpuTicks(c.child.pid!)));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const after = await Promise.all(contenders.map((c) => cpuTicks(c.child.pid!)));
  const seconds = (performance.now() - t0) / 1000;
  const rss = await Promise.all(contenders.map((c) => rssMb(c.child.pid!)));
  console.log(`sidecar footprint (command health check every 1 s; RSS after ${SETTLE_S} s, CPU over ${seconds.toFixed(0)} s)`);
  const idle = rss[0]!;
  for (const [i, c] of contenders.entries()) {
    const cpuPct = ((after[i]! - before[i]!) / TICKS / seconds) * 100;
    const cpuSecPerMin = (after[i]! - before[i]!) / TICKS / seconds * 60;
    console.log(`${c.name.padEnd(20)} RSS ${rss[i]!.toFixed(1).padStart(6)} MB (${(rss[i]! / idle).toFixed(2)}x idle node, ${(rss[i]! / REGISTRAR.rssMb).toFixed(2)}x registrar's ${REGISTRAR.rssMb} MB)  CPU ${cpuPct.toFixed(2)}% = ${cpuSecPerMin.toFixed(2)} s/min (registrar ${REGISTRAR.cpuPct}%)`);
  }
} finally {
  for (const c of contenders) c.child.kill('SIGTERM');
  await Promise.all(contenders.map((c) => new Promise((r) => (c.child.exitCode !== null ? r(null) : c.child.once('exit', r)))));
  await zk.stop();
  await rm(dir, { recursive: true, force: true });
}
