#!/usr/bin/env node
// Launcher, CommonJS (bin/package.json): an ES module entry would start
// Node's ES module loader, which a sidecar would then carry (0.7 MB).
// Installed as a package (no src/ beside it) Herald runs the compiled dist/
// in this process, on whatever Node the user has (package.json `engines`):
// `herald sidecar` from dist/sidecar.cjs, one bundled script
// (tools/sidecar-bundle.ts says why), everything else from dist/cli/. In the
// checkout it runs the TypeScript sources: directly on Node >= 24, otherwise
// re-run with the Node 24 that the `node` devDependency installed,
// forwarding signals and the exit code.
'use strict';
const { existsSync } = require('node:fs');
const { enableCompileCache } = require('node:module');
const { dirname, join } = require('node:path');
const { setFlagsFromString } = require('node:v8');

// A sidecar runs V8's interpreter only (src/cli/lean-runtime.ts says why), from before anything is
// loaded: loading even the dispatcher's few modules first got Maglev going, whose code then stayed
// resident (2.2 MB of a sidecar's RSS). The same flags as lean-runtime.ts's (a test checks).
if (process.argv[2] === 'sidecar') for (const flag of ['--no-turbofan', '--no-maglev', '--no-sparkplug']) setFlagsFromString(flag);

const root = join(__dirname, '..');
const source = join(root, 'src', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);
const fail = (err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
};
/** NODE_COMPILE_CACHE, else ~/.cache/herald/compile-cache; undefined (Node's own default) when there is no home to name. */
function compileCacheDir() {
  if (process.env.NODE_COMPILE_CACHE) return process.env.NODE_COMPILE_CACHE;
  try {
    return join(process.env.XDG_CACHE_HOME || join(require('node:os').homedir(), '.cache'), 'herald', 'compile-cache');
  } catch {
    return undefined; // os.homedir() throws without HOME and without a passwd entry
  }
}
// Each branch loads only what it needs: a sidecar carries every module it loaded.
const run = (file) => import(require('node:url').pathToFileURL(file).href).then((cli) => cli.runProcess()).catch(fail);

if (!existsSync(source)) {
  // V8's compiled code kept on disk between runs: a sidecar that starts from it holds 1.5 MB less than
  // one that compiled its script itself, and every command starts sooner. NODE_COMPILE_CACHE names the
  // directory, else ~/.cache/herald (XDG_CACHE_HOME): a place that outlives a reboot, since a sidecar
  // starts once a boot and a zone's /tmp does not; NODE_DISABLE_COMPILE_CACHE=1 turns it off. A cache
  // that cannot be written costs nothing but that.
  if (enableCompileCache) enableCompileCache(compileCacheDir());
  const bundle = join(root, 'dist', 'sidecar.cjs');
  if (process.argv[2] === 'sidecar' && existsSync(bundle)) require(bundle).runProcess().catch(fail);
  else run(join(root, 'dist', 'cli', 'main.js'));
} else if (major >= 24) {
  run(source);
} else {
  const runtime = join(dirname(require.resolve('node/package.json')), 'bin', 'node');
  const child = require('node:child_process').spawn(runtime, [source, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
