// The single executable (`npm run build:sea`) as a zone without Node meets
// it: copied alone into an empty directory and run with `env -i` (no PATH,
// no node_modules anywhere near it).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bind } from '../fixtures/bind.ts';
import { freePort } from '../fixtures/ports.ts';
import { reapOnExit } from '../fixtures/reap.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig } from '../server/helpers.ts';
import { ROOT, runTo } from './packed.ts';
import { installCommands } from './readme.ts';

// More time than tap's default per file (it builds the executable first); the
// `# timeout=` comment tells the runner, setTimeout this process.
t.setTimeout(300000);
t.comment('timeout=300000');
const built = await runTo('npm', ['run', 'build:sea'], ROOT, undefined, 240_000);
if (built.code !== 0) throw new Error(`npm run build:sea failed:\n${built.stdout}${built.stderr}`);
const dir = await mkdtemp(join(tmpdir(), 'herald-sea-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const EXE = join(dir, 'herald');
await copyFile(join(ROOT, 'build/herald'), EXE);
t.comment(built.stdout.trim().split('\n').at(-1)!);
t.comment(`executable ${(await stat(EXE)).size} bytes`);
const bind = await Bind.start([{ origin: 'pkg.example', records: 'web 60 IN A 10.7.0.1\n' }]);
t.teardown(() => bind.stop());

interface Proc { child: ChildProcess; stdout: string; stderr: string; exit: Promise<number | null> }

/** The executable with an empty environment (plus `env`), in the empty directory. */
function bare(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn('/usr/bin/env', ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), EXE, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  reapOnExit(child);
  const p: Proc = { child, stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d: Buffer) => { p.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { p.stderr += d.toString(); });
  return p;
}

async function ran(args: string[]): Promise<Proc & { code: number | null }> {
  const p = bare(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  const code = await p.exit;
  clearTimeout(timer);
  return { ...p, code };
}

t.test('beside it, the licenses of what it carries: Node and every bundled dependency', async (t) => {
  const notices = await readFile(join(ROOT, 'build/herald.LICENSES.txt'), 'utf8');
  t.match(notices, new RegExp(`^The executable is Node\\.js ${process.version.replaceAll('.', '\\.')} `));
  for (const name of ['node-zookeeper-client', 'undici', 'prom-client', 'p-retry']) t.match(notices, new RegExp(`^${name}@\\d+\\.\\d+\\.\\d+ \\(`, 'm'), name);
  // Replaced by tools/sea-shims, so not carried.
  for (const name of ['async', 'underscore']) t.notMatch(notices, new RegExp(`^${name}@`, 'm'), `not ${name}`);
});

t.test("the README's commands, as written: npm run build:sea, then env -i ./build/herald --help", async (t) => {
  const commands = installCommands('The single executable');
  t.same(commands, ['npm run build:sea', 'env -i ./build/herald --help']);
  const r = await runTo('/bin/sh', ['-c', commands[1]!], ROOT);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^usage: herald <command>/);
});

t.test('the build says which platform it is for', async (t) => {
  t.match(built.stdout, new RegExp(`built \\S+/build/herald for ${process.platform}-${process.arch} \\(Node 24\\.`));
});

t.test('--help and dig against BIND', async (t) => {
  const help = await ran(['--help']);
  t.equal(help.code, 0, help.stderr);
  t.match(help.stdout, /^usage: herald <command>/);
  const r = await ran(['dig', `@${bind.address}`, '-p', String(bind.port), '+short', 'web.pkg.example', 'A']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trim(), '10.7.0.1');
});

t.test("the demo's instance program runs from the executable (HERALD_SEA_PROGRAM)", async (t) => {
  const p = bare(['--name', 'web-9', '--port', '0'], { HERALD_SEA_PROGRAM: 'instance-program' });
  t.teardown(() => { p.child.kill('SIGKILL'); });
  await waitFor('the instance listening', () => /listening \S+:\d+ pid/.test(p.stdout), 10_000).catch((err: Error) => { throw new Error(`${err.message}\n${p.stderr}`); });
  const port = Number(/listening \S+:(\d+) pid/.exec(p.stdout)![1]);
  t.match(await (await fetch(`http://127.0.0.1:${port}/`)).json(), { instance: 'web-9' });
  p.child.kill('SIGTERM');
  t.equal(await p.exit, 0);
});

t.test('serve --registry memory (two UDP threads), a sidecar registering an instance dig sees, drain, resume, wait, status, lease run', async (t) => {
  const serve = bare(['serve', '--registry', 'memory', '--registry-listen', '127.0.0.1:0', '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0', '--threads', '2']);
  t.teardown(() => { serve.child.kill('SIGKILL'); });
  await waitFor('herald serve listening', () => /^listening 127\.0\.0\.1:\d+/m.test(serve.stdout), 20_000).catch((err: Error) => { throw new Error(`${err.message}\n${serve.stderr}`); });
  const dnsPort = Number(/^listening 127\.0\.0\.1:(\d+)/m.exec(serve.stdout)![1]);
  const registry = /^registry (memory:\/\/\S+)/m.exec(serve.stdout)![1]!;

  const instance = createServer((_req, res) => res.end('ok\n'));
  const port = await freePort();
  await new Promise<void>((resolve) => instance.listen(port, '127.0.0.1', resolve));
  t.teardown(() => instance.close());
  const config = join(dir, 'sidecar.json');
  await writeFile(config, JSON.stringify({
    instance: 'w1', adminIp: '127.0.0.1',
    registration: { domain: 'web.coal.joyent.us', type: 'load_balancer', ttl: 1, ports: [port], service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80, ttl: 1 } } },
    healthCheck: { http: `http://127.0.0.1:${port}/`, interval: 200, timeout: 500, rise: 1, fall: 2 },
    drain: { deadline: 20_000, signalDeadline: 500, ttlMargin: 0, pollInterval: 100, lookupTimeout: 500, nameservers: [`127.0.0.1:${dnsPort}`] },
  }));
  const sidecar = bare(['sidecar', '--config', config, '--zk', registry, '--admin-socket', join(dir, 'admin.sock')]);
  t.teardown(() => { sidecar.child.kill('SIGKILL'); });
  await waitFor('the sidecar started', () => /sidecar \S+ started/.test(sidecar.stdout + sidecar.stderr), 20_000).catch((err: Error) => { throw new Error(`${err.message}\n${sidecar.stderr}`); });
  t.match(sidecar.stderr, new RegExp(`"msg":"in flight: established connections on ports ${port} from /proc/net/tcp and /proc/net/tcp6"`), 'the sidecar says how it counts work in flight');
  const srv = async () => (await dig(dnsPort, ['+short', 'SRV', '_http._tcp.web.coal.joyent.us'])).raw.trim();
  await waitFor('the instance in DNS', async () => (await srv()) === `0 10 ${port} w1.web.coal.joyent.us.`, 10_000);
  t.equal((await dig(dnsPort, ['+short', 'A', 'w1.web.coal.joyent.us'])).raw.trim(), '127.0.0.1');

  const status = await ran(['status', '--zk', registry, 'web.coal.joyent.us', '--nameservers', `127.0.0.1:${dnsPort}`]);
  t.equal(status.code, 0, status.stderr);
  t.match(status.stdout, /w1/);
  const drain = await ran(['drain', '--zk', registry, 'web.coal.joyent.us', 'w1', '--timeout', '20']);
  t.equal(drain.code, 0, `${drain.stdout}${drain.stderr}`);
  t.equal(await srv(), '', 'drained: out of DNS');
  const resume = await ran(['resume', '--zk', registry, 'web.coal.joyent.us', 'w1']);
  t.equal(resume.code, 0, resume.stderr);
  const back = await ran(['wait', '--in', 'web.coal.joyent.us', '127.0.0.1', '--nameservers', `127.0.0.1:${dnsPort}`, '--timeout', '15', '--interval', '0.2']);
  t.equal(back.code, 0, `wait --in: ${back.stdout}${back.stderr}`);
  await waitFor('the instance back in DNS', async () => (await srv()) !== '', 10_000);

  // The lease watchdog runs as the executable itself (no watchdog.js beside it).
  const lease = await ran(['lease', 'run', '--zk', registry, 'pub', '--', '/bin/sh', '-c', 'echo token=$HERALD_LEASE_TOKEN']);
  t.equal(lease.code, 0, `lease run: ${lease.stdout}${lease.stderr}`);
  t.match(lease.stdout, /^token=\d+$/m, 'the command ran under the lease, with its fencing token');

  sidecar.child.kill('SIGTERM');
  t.equal(await sidecar.exit, 0, 'sidecar: SIGTERM, exit 0');
  serve.child.kill('SIGTERM');
  t.equal(await serve.exit, 0, 'serve: SIGTERM, exit 0');
});
