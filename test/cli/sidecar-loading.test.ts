import t, { type Test } from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ephemeralOwners, ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { herald, sidecarDir } from '../sidecar/processes.ts';

// A sidecar runs in every zone: it loads only what its config uses (issue 16).
// Every module a real `herald sidecar` loads is recorded by a module hook,
// read once it has registered (its health check has run and passed) and
// before SIGTERM, whose short drain asks the nameservers and so loads the
// resolver, as it should.

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());
const d = await sidecarDir();
t.teardown(() => d.cleanup());
const hook = join(d.dir, 'record-loads.mjs');
await writeFile(hook, `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
const out = process.env.HERALD_TEST_LOADED;
registerHooks({ load(url, context, next) { appendFileSync(out, url + '\\n'); return next(url, context); } });
`);

async function loadedBy(t: Test, name: string, extra: object, args: string[] = []): Promise<string[]> {
  const file = join(d.dir, `${name}.json`);
  const loaded = join(d.dir, `${name}.loaded`);
  await writeFile(loaded, '');
  await writeFile(file, JSON.stringify({
    registration: { domain: 'load.coal.joyent.us', type: 'load_balancer', ports: [80] },
    instance: name, adminIp: '127.0.0.40', adminSocket: 'none',
    healthCheck: { command: '/bin/true', interval: 200 },
    drain: { signalDeadline: 100, nameservers: ['127.0.0.1:1'] },
    ...extra,
  }));
  const proc = herald(['sidecar', '--config', file, '--zk', zk.connectString, ...args], {
    HERALD_TEST_LOADED: loaded,
    NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import=${pathToFileURL(hook).href}`,
  });
  t.teardown(() => proc.stop('SIGKILL'));
  await waitFor(`${name} to register`, async () => proc.child.exitCode !== null || (await ephemeralOwners(zk.ports[0]!)).has(`/us/joyent/coal/load/${name}`), 20_000, 50);
  t.equal(proc.child.exitCode, null, `${name} runs`, { stderr: proc.stderr });
  const urls = (await readFile(loaded, 'utf8')).split('\n').filter(Boolean);
  t.equal(await proc.stop(), 0, `${name} stops cleanly`);
  return urls;
}

const has = (urls: string[], part: string) => urls.some((u) => u.includes(part));

t.test('a command check without metrics loads no HTTP client, metrics registry, logger library, resolver or lease code', async (t) => {
  const urls = await loadedBy(t, 'plain', {});
  t.ok(has(urls, '/src/sidecar/sidecar.ts'), 'the recorder sees the sidecar itself');
  t.ok(has(urls, '/node_modules/node-zookeeper-client/'), 'and the registry client it needs');
  for (const part of ['/node_modules/undici/', '/node_modules/prom-client/', '/node_modules/pino/', '/src/resolver/', '/src/lease/singleton', '/src/metrics-endpoint.ts', 'node:http', 'node:https', 'node:crypto', 'node:worker_threads']) {
    t.notOk(has(urls, part), `not loaded: ${part}`);
  }
});

t.test('an HTTP check and metrics load node:http, prom-client and the endpoint, never undici (WebAssembly, absent under --lite-mode)', async (t) => {
  const server = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const urls = await loadedBy(t, 'http', { healthCheck: { http: `http://127.0.0.1:${port}/`, interval: 200 } }, ['--metrics', '127.0.0.1:0']);
  for (const part of ['node:http', '/node_modules/prom-client/', '/src/metrics-endpoint.ts']) t.ok(has(urls, part), `loaded: ${part}`);
  t.notOk(has(urls, '/node_modules/undici/'), 'not loaded: undici');
});
