import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createCheck } from '../../src/sidecar/checks.ts';
import { runCommand } from '../../src/sidecar/run-command.ts';
import { freePort } from '../fixtures/ports.ts';
import { waitFor } from '../fixtures/wait.ts';

const cmd = (command: string, extra: object = {}) => createCheck({ kind: 'command', command, ignoreExitStatus: false, ...extra }, 2000);

t.test('command: exit status, ignoreExitStatus, stdoutMatch with flags and invert', async (t) => {
  t.match(await cmd('true')(), { ok: true });
  t.match(await cmd('exit 3')(), { ok: false, detail: 'exit status 3' });
  t.match(await cmd('echo nope; exit 3', { ignoreExitStatus: true })(), { ok: true });
  t.match(await cmd('echo STATUS OK', { stdoutMatch: { pattern: 'ok', flags: 'i', invert: false } })(), { ok: true });
  t.match(await cmd('echo STATUS OK', { stdoutMatch: { pattern: 'ok', invert: false } })(), { ok: false, detail: 'stdout does not match /ok/' });
  t.match(await cmd('echo degraded', { stdoutMatch: { pattern: 'degraded', invert: true } })(), { ok: false, detail: 'stdout matches /degraded/' });
  t.match(await cmd('echo fine', { stdoutMatch: { pattern: 'degraded', invert: true } })(), { ok: true });
  // As in registrar, a failing exit status fails before stdout is looked at.
  t.match(await cmd('echo ok; exit 1', { stdoutMatch: { pattern: 'ok', invert: false } })(), { ok: false, detail: 'exit status 1' });
  t.match(await cmd('echo bad; exit 1', { ignoreExitStatus: true, stdoutMatch: { pattern: 'ok', invert: false } })(), { ok: false });
});

t.test('command timeout kills the whole process group, grandchildren included', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'herald-check-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pidFile = join(dir, 'pid');
  const started = Date.now();
  const out = await runCommand(`sleep 30 & echo $! > ${pidFile}; wait`, 300);
  t.ok(out.timedOut);
  t.ok(Date.now() - started < 2000, 'returns at the timeout');
  const pid = Number(await readFile(pidFile, 'utf8'));
  t.ok(pid > 0);
  await waitFor('the grandchild to be gone', async () => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Gone, or a zombie waiting for init to reap it.
    return stat === '' || / Z /.test(stat);
  }, 3000);
  t.match(await createCheck({ kind: 'command', command: 'sleep 5', ignoreExitStatus: true }, 200)(), { ok: false, detail: /timed out/ }, 'a timeout fails even with ignoreExitStatus');
});

t.test('http: 2xx/3xx or the listed statuses; body match; refused and timeouts fail', async (t) => {
  let status = 200;
  let body = 'ok';
  let hang = false;
  const server = createHttpServer((req, res) => {
    if (hang) return; // never answers
    res.statusCode = status;
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`;
  const check = createCheck({ kind: 'http', url, statuses: [] }, 300);
  t.match(await check(), { ok: true });
  status = 503;
  t.match(await check(), { ok: false, detail: 'HTTP 503' });
  t.match(await createCheck({ kind: 'http', url, statuses: [503] }, 300)(), { ok: true });
  status = 200; body = 'degraded';
  t.match(await createCheck({ kind: 'http', url, statuses: [], bodyMatch: { pattern: '^ok$', invert: false } }, 300)(), { ok: false, detail: /body does not match/ });
  hang = true;
  t.match(await check(), { ok: false, detail: 'timed out' });
  const closed = `http://127.0.0.1:${await freePort()}/`;
  t.match(await createCheck({ kind: 'http', url: closed, statuses: [] }, 300)(), { ok: false, detail: /ECONNREFUSED/ });
});

t.test('http under V8 lite mode (no WebAssembly: deploy/ may start the sidecar so): the check still answers', async (t) => {
  const server = createHttpServer((req, res) => res.end(req.headers.connection ?? ''));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // Lite mode cannot strip types (that takes WebAssembly too): run the check as JavaScript, as from dist/.
  const dir = await mkdtemp(join(tmpdir(), 'herald-lite-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const checks = join(dir, 'checks.mjs');
  await build({ entryPoints: [fileURLToPath(new URL('../../src/sidecar/checks.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: checks, logLevel: 'warning' });
  const script = `const { createCheck } = await import(${JSON.stringify(checks)});
    const check = createCheck({ kind: 'http', url: ${JSON.stringify(url)}, statuses: [], bodyMatch: { pattern: '^close$', invert: false } }, 2000);
    console.log(JSON.stringify({ wasm: typeof WebAssembly, result: await check() }));`;
  await writeFile(join(dir, 'run.mjs'), script);
  const { stdout } = await promisify(execFile)(process.execPath, ['--lite-mode', join(dir, 'run.mjs')], { timeout: 20_000 });
  // The body echoes the Connection header: one connection per check, never kept alive.
  t.same(JSON.parse(stdout), { wasm: 'undefined', result: { ok: true, detail: 'ok' } });
});

t.test('tcp: connect succeeds or is refused', async (t) => {
  const server = createTcpServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  t.match(await createCheck({ kind: 'tcp', host: '127.0.0.1', port: (server.address() as AddressInfo).port }, 500)(), { ok: true });
  t.match(await createCheck({ kind: 'tcp', host: '127.0.0.1', port: await freePort() }, 500)(), { ok: false, detail: 'ECONNREFUSED' });
});

t.test('stdoutMatch that backtracks catastrophically: the check fails at its bound and the event loop keeps turning', async (t) => {
  // ^(a+)+$ on 40 a's and a "!" takes minutes in a backtracking engine.
  const check = createCheck({ kind: 'command', command: `printf '${'a'.repeat(40)}!'`, ignoreExitStatus: false, stdoutMatch: { pattern: '^(a+)+$', invert: false } }, 400);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 20);
  t.teardown(() => clearInterval(ticker));
  const started = Date.now();
  const result = await check();
  const took = Date.now() - started;
  clearInterval(ticker);
  t.match(result, { ok: false, detail: 'matching stdout against /^(a+)+$/ took longer than 400 ms (stopped)' });
  t.ok(took < 3000, `ended at its bound (${took} ms)`);
  t.ok(ticks >= 5, `the event loop ran meanwhile (${ticks} ticks of 20 ms in ${took} ms)`);
  // The runaway match is gone: the next check answers at once, in a fresh thread.
  t.match(await cmd('echo ok', { stdoutMatch: { pattern: '^ok$', flags: 'm', invert: false } })(), { ok: true, detail: 'ok' });
  const before = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 500));
  const cpuMs = (process.cpuUsage(before).user + process.cpuUsage(before).system) / 1000;
  t.ok(cpuMs < 250, `no thread left spinning (${cpuMs.toFixed(0)} ms of CPU in 500 ms)`);
});
