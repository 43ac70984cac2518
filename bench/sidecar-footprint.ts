// Figure: what one sidecar costs a zone. `herald sidecar` with a command
// health check every second (registrar's kind of check, `/bin/true`),
// registered in a real ZooKeeper, run from the TypeScript sources, as the npm
// package runs it (its bin/herald.js over the compiled dist/, `npm run
// build`), as the single executable (build/herald, `npm run build:sea`),
// and the package under `node --lite-mode`
// (`herald sidecar` already turns V8's optimising tiers off for itself,
// src/cli/lean-runtime.ts; the flag also shrinks V8's heap, but Node refuses
// it in NODE_OPTIONS, so only a deploy unit's command line can give it), beside
// idle Node processes, the floor any Node program pays, and registrar
// itself when it is at hand: REGISTRAR_DIR=<a registrar checkout with its
// node_modules> (run by REGISTRAR_NODE, default /usr/bin/node, Node 20 here,
// the anchor; and by herald's own Node, in a ZooKeeper of its own, to show
// how much of the difference is the runtime's;
// registrar's zkplus dependency comes from git, so no package script can
// install it). Without it, registrar's figure measured on this machine
// before is printed as the reference, not as a same-run anchor.
// All at once; after SETTLE_S seconds, RSS and its private
// (anonymous) part from /proc — the rest is the executable's pages, shared by
// every process running the same file — and CPU over WINDOW_S seconds, per
// minute and per health-check cycle (one a second). Each contender must hold
// its ephemeral node in ZooKeeper at the end, or its figures are not shown.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapOnExit } from '../test/fixtures/reap.ts';
import { packageLayout } from './lib/package-layout.ts';
import { waitFor } from '../test/fixtures/wait.ts';
import { ephemeralOwners, ZooKeeper } from '../test/fixtures/zookeeper.ts';

const SETTLE_S = Number(process.env['SETTLE_S'] ?? 10);
const WINDOW_S = Number(process.env['WINDOW_S'] ?? 30);
const RECORDED_REGISTRAR = { rssMb: 52, cpuSecPerMin: 0.17 }; // Node 20, 0.28% CPU
const TICKS = 100; // USER_HZ on Linux
const REGISTRAR_DIR = process.env['REGISTRAR_DIR'];
const REGISTRAR_NODE = process.env['REGISTRAR_NODE'] ?? '/usr/bin/node';
const DOMAIN = 'web.coal.joyent.us';

async function cpuTicks(pid: number): Promise<number> {
  // Fields after the command name: state is field 3; utime 14, stime 15 (1-based, man proc).
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function memoryMb(pid: number): Promise<{ rss: number; anon: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

function nodeMajor(path: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(path, ['-p', 'process.versions.node.split(".")[0]'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', () => resolve(''));
    child.once('close', () => resolve(out.trim()));
  });
}

interface Way { name: string; command: string; args: string[]; config?: 'sidecar' | 'registrar'; zk?: ZooKeeper; env?: NodeJS.ProcessEnv }
interface Contender extends Way { child: ChildProcess; instance: string }

const zk = await ZooKeeper.start();
let herZk: ZooKeeper | undefined; // registrar on herald's Node, in a ZooKeeper of its own: registrar names its node after the host
const dir = await mkdtemp(join(tmpdir(), 'herald-footprint-'));
const contenders: Contender[] = [];
try {
  const config = (instance: string, port: number) => ({
    registration: {
      domain: DOMAIN, type: 'load_balancer', ttl: 30, ports: [8080],
      service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 8080, ttl: 60 } },
    },
    instance, adminIp: '127.0.0.1', adminSocket: 'none',
    healthCheck: { command: '/bin/true', interval: 1000, timeout: 1000 },
    zookeeper: { servers: [{ host: '127.0.0.1', port }], timeout: 10_000 },
    logLevel: 'warn',
  });
  /** Runs the package's sidecar once, until it has written its compile cache (after it first registered), and stops it. */
  const warmCompileCache = async (bin: string, file: string, env: NodeJS.ProcessEnv): Promise<void> => {
    await writeFile(file, JSON.stringify(config('warm', zk.ports[0]!)));
    const child = spawn(process.execPath, [bin, 'sidecar', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'], env });
    reapOnExit(child);
    const cache = env['NODE_COMPILE_CACHE']!;
    await waitFor('the package sidecar to write its compile cache', () => existsSync(cache) && readdirSync(cache, { recursive: true }).length > 1, 20_000, 100);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  const idle = ['-e', 'setInterval(() => {}, 1e9)'];
  const ways: Way[] = [{ name: `idle node ${process.versions.node.split('.')[0]}`, command: process.execPath, args: idle }];
  const systemMajor = existsSync(REGISTRAR_NODE) ? await nodeMajor(REGISTRAR_NODE) : '';
  if (systemMajor) ways.push({ name: `idle node ${systemMajor}`, command: REGISTRAR_NODE, args: idle });
  const registrarMain = REGISTRAR_DIR && join(REGISTRAR_DIR, 'main.js');
  if (registrarMain && systemMajor && existsSync(registrarMain)) {
    ways.push({ name: `registrar, node ${systemMajor}`, command: REGISTRAR_NODE, args: [registrarMain, '-f'], config: 'registrar' });
    herZk = await ZooKeeper.start();
    ways.push({ name: `registrar, node ${process.versions.node.split('.')[0]}`, command: process.execPath, args: [registrarMain, '-f'], config: 'registrar', zk: herZk });
  }
  ways.push({ name: 'sidecar, sources', command: process.execPath, args: ['src/cli/main.ts', 'sidecar', '--config'], config: 'sidecar' });
  if (existsSync('dist/cli/main.js')) {
    // As the npm package runs it (the sidecar's bundle, with the compile cache as the launcher sets it).
    const bin = await packageLayout(join(dir, 'package'));
    // The launcher's compile cache: a zone's sidecar starts from it once it has run this version before (the
    // cache outlives reboots, bin/herald.js), so the package is measured warm, and once from an empty cache.
    const warm = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'cache-warm') };
    await warmCompileCache(bin, join(dir, 'warm.json'), warm);
    ways.push({ name: 'sidecar, npm package', command: process.execPath, args: [bin, 'sidecar', '--config'], config: 'sidecar', env: warm });
    ways.push({ name: 'sidecar, package cold', command: process.execPath, args: [bin, 'sidecar', '--config'], config: 'sidecar', env: { ...process.env, NODE_COMPILE_CACHE: join(dir, 'cache-cold') } });
    ways.push({ name: 'sidecar, package lite', command: process.execPath, args: ['--lite-mode', bin, 'sidecar', '--config'], config: 'sidecar', env: warm });
  }
  if (existsSync('build/herald')) {
    ways.push({ name: 'sidecar, executable', command: 'build/herald', args: ['sidecar', '--config'], config: 'sidecar' });
  }
  for (const [i, way] of ways.entries()) {
    const instance = `i${i}`;
    const args = [...way.args];
    if (way.config) {
      const file = join(dir, `c${i}.json`);
      await writeFile(file, JSON.stringify(config(instance, (way.zk ?? zk).ports[0]!)));
      args.push(file);
    }
    const child = spawn(way.command, args, { stdio: ['ignore', 'ignore', 'inherit'], ...(way.env ? { env: way.env } : {}) });
    reapOnExit(child);
    contenders.push({ ...way, child, instance });
  }
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const memory = await Promise.all(contenders.map((c) => memoryMb(c.child.pid!)));
  const before = await Promise.all(contenders.map((c) => cpuTicks(c.child.pid!)));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const after = await Promise.all(contenders.map((c) => cpuTicks(c.child.pid!)));
  const seconds = (performance.now() - t0) / 1000;
  const held = await ephemeralOwners(zk.ports[0]!);
  const herHeld = herZk ? await ephemeralOwners(herZk.ports[0]!) : new Map<string, string>();
  // registrar names its node after the host, not the config's instance.
  const registered = (c: Contender) => c.config === undefined || (c.zk ? herHeld : held).has(`/us/joyent/coal/web/${c.config === 'registrar' ? hostname() : c.instance}`);
  const cpu = contenders.map((_, i) => ((after[i]! - before[i]!) / TICKS / seconds) * 60);
  const ri = contenders.findIndex((c) => c.config === 'registrar' && !c.zk && registered(c));
  const anchor = ri >= 0 ? { rssMb: memory[ri]!.rss, cpuSecPerMin: cpu[ri]!, what: 'registrar, same run' } : { ...RECORDED_REGISTRAR, what: 'registrar as recorded before (Node 20), not this run' };
  console.log(`sidecar footprint: command health check every 1 s; RSS after ${SETTLE_S} s (private = anonymous pages), CPU over ${seconds.toFixed(0)} s`);
  console.log(`anchor: ${anchor.what}: RSS ${anchor.rssMb.toFixed(1)} MB, CPU ${anchor.cpuSecPerMin.toFixed(3)} s/min`);
  for (const [i, c] of contenders.entries()) {
    if (!registered(c)) {
      console.log(`${c.name.padEnd(22)} did not register (no ephemeral node): figures not shown`);
      continue;
    }
    const { rss, anon } = memory[i]!;
    const ratios = c.config ? `  = ${(rss / anchor.rssMb).toFixed(2)}x RSS, ${(cpu[i]! / anchor.cpuSecPerMin).toFixed(2)}x CPU of registrar` : '';
    console.log(`${c.name.padEnd(22)} RSS ${rss.toFixed(1).padStart(6)} MB (private ${anon.toFixed(1).padStart(5)} MB)  CPU ${cpu[i]!.toFixed(3)} s/min, ${(cpu[i]! / 60 * 1000).toFixed(2)} ms per cycle${ratios}`);
  }
  // The same program on the same runtime: how much of the gap to registrar on its Node is Node's own.
  const same = contenders.findIndex((c) => c.zk && registered(c));
  if (same >= 0) {
    const line = contenders.flatMap((c, i) => (c.config === 'sidecar' && registered(c) ? [`${c.name.replace('sidecar, ', '')} ${(memory[i]!.rss / memory[same]!.rss).toFixed(2)}x`] : []));
    console.log(`RSS against ${contenders[same]!.name} (herald's Node, ${memory[same]!.rss.toFixed(1)} MB): ${line.join(', ')}`);
  }
} finally {
  for (const c of contenders) c.child.kill('SIGTERM');
  await Promise.all(contenders.map((c) => new Promise((r) => (c.child.exitCode !== null || c.child.signalCode !== null ? r(null) : c.child.once('exit', r)))));
  await zk.stop();
  await herZk?.stop();
  await rm(dir, { recursive: true, force: true });
}
