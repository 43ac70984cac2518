// Herald as a user installs it: the packed tarball, runtime dependencies only,
// used from a fresh project on Node 24 (the tests' own) and on the lowest
// Node that package.json `engines` admits (the `node` npm package).
import t from 'tap';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { Bind } from '../fixtures/bind.ts';
import { ephemeralOwners, ZooKeeper } from '../fixtures/zookeeper.ts';
import { reapOnExit } from '../fixtures/reap.ts';
import { waitFor } from '../fixtures/wait.ts';
import { openStore } from '../../src/registry/open.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { dig } from '../server/helpers.ts';
import { installCommands } from './readme.ts';
import { installedPackage, installNode, LOWEST_NODE, ROOT, runTo, userEnv, userSpawn } from './packed.ts';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

// More time than tap's default per file (it packs, installs two projects and a Node, and runs each check on two Nodes); the
// `# timeout=` comment tells the runner, setTimeout this process.
t.setTimeout(360000);
t.comment('timeout=360000');
// The lowest admitted Node installs while the checkout packs.
const [consumer, lowest, bind, zk] = await Promise.all([installedPackage(), installNode(LOWEST_NODE), Bind.start([{ origin: 'pkg.example', records: 'web 60 IN A 10.7.0.1\n' }]), ZooKeeper.start()]);
t.teardown(() => consumer.remove());
t.teardown(() => zk.stop());
t.teardown(() => lowest.remove());
t.teardown(() => bind.stop());
const installed = join(consumer.dir, 'node_modules', 'herald');
for (const f of ['balance.mjs', 'require.cjs', 'typed.ts']) await copyFile(new URL(`./consumer/${f}`, import.meta.url), join(consumer.dir, f));
t.comment(`tarball ${consumer.tarballBytes} bytes, ${consumer.files.length} files`);

t.test('the tarball: compiled dist/ with declarations and maps, README, LICENSE; no sources, tests, benches or fixtures', async (t) => {
  const files = consumer.files;
  for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/herald.js', 'bin/package.json', 'dist/sidecar.cjs', 'dist/sidecar.cjs.LICENSES.txt', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/cli/main.js', 'dist/server/udp-worker.js', 'dist/demo/instance-program.js']) {
    t.ok(files.includes(f), f);
  }
  t.same(files.filter((f) => !/^(dist\/|deploy\/|bin\/herald\.js$|bin\/package\.json$|package\.json$|README\.md$|LICENSE$)/.test(f)), [], 'nothing else');
  t.same(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')), [], 'no TypeScript sources');
  t.match(await readFile(join(installed, 'LICENSE'), 'utf8'), /^Mozilla Public License Version 2\.0/);
  // The sidecar's bundle carries node-zookeeper-client and the rest of its dependencies: their licenses come with it.
  const notices = await readFile(join(installed, 'dist/sidecar.cjs.LICENSES.txt'), 'utf8');
  t.match(notices, /^node-zookeeper-client@\d+\.\d+\.\d+ \(MIT\)\n\n[^]*Permission is hereby granted/m, 'the notices carry node-zookeeper-client\'s license');
  const map = JSON.parse(await readFile(join(installed, 'dist/index.js.map'), 'utf8')) as { sourcesContent?: string[] };
  t.ok(map.sourcesContent?.[0]?.includes('export'), 'source maps carry their sources (src/ is not shipped)');
});

t.test("the README's install commands are the ones run here", async (t) => {
  // packed.ts runs `npm pack` (into the project's directory) and `npm install ./<tarball>` there (with --omit=dev,
  // which changes nothing for a dependency's own devDependencies); the checks below run `npx herald --help`.
  t.same(installCommands('The npm package'), ['npm pack', `npm install ./${consumer.tarball.split('/').at(-1)}`, 'npx herald --help']);
});

t.test('runtime dependencies are exactly what src/ imports', async (t) => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const imported = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/(?:from|import\()\s*'([^'.][^']*)'/g)) {
          const spec = m[1]!;
          if (spec.startsWith('node:')) continue;
          imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    }
  };
  walk(join(ROOT, 'src'));
  t.same(Object.keys(pkg.dependencies).sort(), [...imported].sort());
});

t.test('the shipped declarations refer only to shipped files, node: builtins and typed dependencies', async (t) => {
  const bad: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { walk(p); continue; }
      if (!e.name.endsWith('.d.ts')) continue;
      for (const m of readFileSync(p, 'utf8').matchAll(/(?:from |import\()\s*["']([^"']+)["']|reference (?:path|types)="([^"]+)"/g)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('.')) {
          const target = join(dirname(p), spec.replace(/\.js$/, '.d.ts'));
          if (!consumer.files.includes(target.slice(installed.length + 1))) bad.push(`${p}: ${spec}`);
        } else if (!spec.startsWith('node:') && !['os', 'undici', 'prom-client'].includes(spec)) bad.push(`${p}: ${spec}`);
      }
    }
  };
  walk(join(installed, 'dist'));
  t.same(bad, []);
});

t.test('tsc --noEmit of a typed consumer, moduleResolution node16 (what nodenext is today) and bundler, skipLibCheck off', async (t) => {
  // The checkout's TypeScript and @types/node stand in for the consumer's own
  // (a consumer installs them; the tarball's dependencies come from its node_modules).
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  const common = {
    strict: true, noEmit: true, skipLibCheck: false, target: 'es2023', lib: ['es2023'], types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
    exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true,
  };
  const modes = [['node16', { module: 'node16', moduleResolution: 'node16' }], ['bundler', { module: 'preserve', moduleResolution: 'bundler' }]] as const;
  const results = await Promise.all(modes.map(async ([mode, options]) => {
    await writeFile(join(consumer.dir, `tsconfig.${mode}.json`), JSON.stringify({ compilerOptions: { ...common, ...options }, files: ['typed.ts'] }));
    return [mode, await runTo(tsc, ['-p', `tsconfig.${mode}.json`], consumer.dir)] as const;
  }));
  for (const [mode, r] of results) t.equal(r.code, 0, `${mode}: ${r.stdout}${r.stderr}`);
  // The check can fail: a wrong call in the same consumer is an error.
  await writeFile(join(consumer.dir, 'wrong.ts'), "import { lookup } from 'herald';\nawait lookup(42, 'A');\nexport {};\n");
  await writeFile(join(consumer.dir, 'tsconfig.wrong.json'), JSON.stringify({ compilerOptions: { ...common, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['wrong.ts'] }));
  const wrong = await runTo(tsc, ['-p', 'tsconfig.wrong.json'], consumer.dir);
  t.match(wrong.stdout, /wrong\.ts.*error TS2345/);
});

/** The consumer checks, run on the Node whose binary is `node`. */
function consumerChecks(label: string, node: string): void {
  const env = userEnv({ PATH: `${dirname(node)}:${process.env.PATH}` });
  const bin = join(consumer.dir, 'node_modules/.bin/herald');

  t.test(`${label}: the Node it runs on`, async (t) => {
    const r = await runTo(node, ['--version'], consumer.dir, env);
    t.comment(`${label}: ${r.stdout.trim()}`);
    t.match(r.stdout, label === 'lowest' ? `v${LOWEST_NODE}` : /^v24\./);
  });

  t.test(`${label}: an ES module imports the API and balances requests over two loopback servers`, async (t) => {
    const r = await runTo(node, ['balance.mjs'], consumer.dir, env);
    t.equal(r.code, 0, r.stderr);
    const { counts } = JSON.parse(r.stdout) as { counts: number[] };
    t.equal(counts[0]! + counts[1]!, 40);
    t.ok(counts[0]! > 5 && counts[1]! > 5, `both servers served: ${counts.join(', ')}`);
  });

  t.test(`${label}: a CommonJS file require()s the package, with no warning`, async (t) => {
    const r = await runTo(node, ['require.cjs'], consumer.dir, env);
    t.equal(r.code, 0, r.stderr);
    t.same(JSON.parse(r.stdout), { BalancedAgent: 'function', lookup: 'function', backends: ['127.0.0.1:8080', '::1:8081'] });
    t.equal(r.stderr, '');
  });

  t.test(`${label}: npx herald --help, herald dig against BIND`, async (t) => {
    // The README's `npx herald --help`; --no-install so that a broken local bin fails here instead of fetching another "herald".
    const help = await runTo('npx', ['--no-install', 'herald', '--help'], consumer.dir, env);
    t.equal(help.code, 0, help.stderr);
    t.match(help.stdout, /^usage: herald <command>/);
    const r = await runTo(bin, ['dig', `@${bind.address}`, '-p', String(bind.port), '+short', 'web.pkg.example', 'A'], consumer.dir, env);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout.trim(), '10.7.0.1');
  });

  t.test(`${label}: herald serve --registry memory (two UDP threads) answers dig`, async (t) => {
    const child = userSpawn(bin, ['serve', '--registry', 'memory', '--registry-listen', '127.0.0.1:0', '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0', '--threads', '2'], { cwd: consumer.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    reapOnExit(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    t.teardown(() => { child.kill('SIGKILL'); });
    await waitFor('herald serve listening', () => /^listening 127\.0\.0\.1:\d+/m.test(stdout), 20_000).catch((err: Error) => { throw new Error(`${err.message}\n${stdout}\n${stderr}`); });
    const port = Number(/^listening 127\.0\.0\.1:(\d+)/m.exec(stdout)![1]);
    const store = openStore(/^registry (memory:\/\/\S+)/m.exec(stdout)![1]!);
    await store.ready(5000);
    await store.putPersistent('/us/joyent/coal/web', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
    await store.putEphemeral('/us/joyent/coal/web/w1', hostRecordJson({ type: 'load_balancer', address: '10.0.0.5', ports: [8080], ttl: 30 }));
    await waitFor('the instance in DNS', async () => (await dig(port, ['+short', 'A', 'w1.web.coal.joyent.us'])).raw.trim() === '10.0.0.5', 5000);
    // Many source ports: both threads (the worker loaded from dist/) answer.
    for (let i = 0; i < 8; i++) t.equal((await dig(port, ['+short', 'A', 'w1.web.coal.joyent.us'])).raw.trim(), '10.0.0.5');
    await store.close();
    child.kill('SIGTERM');
    t.equal(await exited, 0, stderr.split('\n').filter((l) => /error|worker/i.test(l)).join('\n'));
  });

  t.test(`${label}: herald sidecar registers in ZooKeeper from its bundled script (dist/sidecar.cjs) and leaves on SIGTERM`, async (t) => {
    const name = label.replace(/\W/g, '');
    const config = join(consumer.dir, `sidecar-${name}.json`);
    await writeFile(config, JSON.stringify({
      registration: { domain: 'pkg.coal.joyent.us', type: 'load_balancer', ports: [80] },
      instance: name, adminIp: '127.0.0.41', adminSocket: 'none',
      healthCheck: { command: '/bin/true', interval: 200 },
      drain: { signalDeadline: 100, nameservers: ['127.0.0.1:1'] },
      zookeeper: { servers: [{ host: '127.0.0.1', port: zk.ports[0]! }] },
    }));
    // Every file the process loads, by a module hook (it sees require() as well as import).
    const loaded = join(consumer.dir, `loaded-${name}.txt`);
    const hook = join(consumer.dir, 'record-loads.mjs');
    await writeFile(hook, `import { registerHooks } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nregisterHooks({ load(url, context, next) { appendFileSync(${JSON.stringify(loaded)}, url + '\\n'); return next(url, context); } });\n`);
    await writeFile(loaded, '');
    const cache = join(consumer.dir, `compile-cache-${name}`);
    const launcher = join(installed, 'bin/herald.js');
    const child = userSpawn(node, ['--import', pathToFileURL(hook).href, launcher, 'sidecar', '--config', config], { cwd: consumer.dir, env: { ...env, NODE_COMPILE_CACHE: cache }, stdio: ['ignore', 'ignore', 'pipe'] });
    reapOnExit(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    t.teardown(() => { child.kill('SIGKILL'); });
    const path = `/us/joyent/coal/pkg/${name}`;
    await waitFor(`${name} registered`, async () => (await ephemeralOwners(zk.ports[0]!)).has(path), 20_000, 50).catch((err: Error) => { throw new Error(`${err.message}\n${stderr}`); });
    const urls = (await readFile(loaded, 'utf8')).split('\n').filter(Boolean);
    t.ok(urls.some((u) => u.endsWith('/node_modules/herald/dist/sidecar.cjs')), 'the sidecar runs from dist/sidecar.cjs');
    t.same(urls.filter((u) => u.includes('/dist/cli/') || u.includes('/node_modules/node-zookeeper-client/')), [], 'not from dist/cli/, and with its own copy of the ZooKeeper client');
    // Written once it has registered, not at exit: the next start (after a reboot, a crash) begins from it.
    await waitFor('the compile cache written while it runs', () => readdirSync(cache, { recursive: true }).length > 1, 5000, 50);
    child.kill('SIGTERM');
    t.equal(await exited, 0, stderr);
    t.notOk((await ephemeralOwners(zk.ports[0]!)).has(path), 'it left the registry');
    // The bundle's dispatcher is the same: a usage error is one line and exit 2.
    // Without NODE_COMPILE_CACHE the cache lives under ~/.cache/herald, which outlives a reboot (a zone's /tmp does not).
    const home = join(consumer.dir, `home-${name}`);
    const { NODE_COMPILE_CACHE: _, ...withoutCache } = env;
    const usage = await runTo(bin, ['sidecar', '--bogus'], consumer.dir, { ...withoutCache, HOME: home });
    t.equal(usage.code, 2, usage.stderr);
    t.match(usage.stderr, /^herald sidecar: /);
    t.ok(readdirSync(join(home, '.cache/herald/compile-cache'), { recursive: true }).length > 1, 'the default cache is under ~/.cache/herald');
  });
}

consumerChecks('node 24', process.execPath);

consumerChecks('lowest', lowest.node);
