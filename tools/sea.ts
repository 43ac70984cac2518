// `npm run build:sea`: Herald as one self-contained executable (Node's
// single executable applications) for the platform this runs on. The
// dispatcher (src/cli/main.ts) and the sidecar are bundled to one CommonJS
// file, the main script; each other subcommand to a CommonJS bundle of its
// own, carried as an asset and compiled only when it runs
// (sea-command-loader.ts says why); the UDP worker thread's script to an ES
// module carried as an asset (entry-points.ts runs it from a data: URL).
// Then the blob is injected into a copy of this Node binary.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { commandAsset, SHARED } from './sea-command-loader.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'build');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const platform = `${process.platform}-${process.arch}`;
const executable = join(OUT, 'herald');

/** Runs a build step, showing its output only when it fails (postject warns about `.note` sections harmlessly). */
function quiet(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(`${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
    throw err;
  }
}

if (Number(process.versions.node.split('.')[0]) < 24) throw new Error(`build:sea needs Node >= 24 (this is ${process.version}); run it through npm run`);
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
// Minified, with function and class names kept (keepNames sets each one's \`name\`, which V8's stack
// traces and error names read): V8 holds the whole script as a string in every process, a sidecar's
// too, and parses its scopes; 1.7 MB of it with only whitespace out cost a sidecar 0.9 MB more RSS than
// these 1.26 MB. (Comments out also keeps it ASCII: a few are not, which made the string two-byte.)
// node-zookeeper-client's async and underscore are replaced by the three functions of each it calls
// (sea-shims/): 0.7 MB less RSS in every process that talks to ZooKeeper.
const SHIMS = { async: join(ROOT, 'tools/sea-shims/async.ts'), underscore: join(ROOT, 'tools/sea-shims/underscore.ts') };
const common = { bundle: true, platform: 'node', target: 'node24', logLevel: 'warning', legalComments: 'none', minify: true, keepNames: true, alias: SHIMS } as const;
await build({ ...common, entryPoints: [join(ROOT, 'src/server/udp-worker.ts')], format: 'esm', outfile: join(OUT, 'udp-worker.mjs') });
// import.meta is empty in CommonJS; the bundles never read files beside themselves (entry-points.ts).
const cjs = { ...common, format: 'cjs', logOverride: { 'empty-import-meta': 'silent' } } as const;
const MAIN = join(ROOT, 'src/cli/main.ts');
// Kept in the main script: the dispatcher's own helper, and the sidecar, the one subcommand that runs in
// every zone. Compiled from an asset it cost 2.6 MB more RSS than from the main script (the loader needs
// the ES module machinery for a bundle's import('node:http'), and the main script has a code cache).
const KEPT = new Set(['./lean-runtime.ts', './sidecar.ts']);
const commands: string[] = [];
/** The dispatcher's import('./<name>.ts') of a subcommand becomes loadCommand('<name>'). */
const commandsAsAssets: Plugin = {
  name: 'commands-as-assets',
  setup(b) {
    b.onResolve({ filter: /^\.\/[a-z-]+\.ts$/ }, (args) => {
      if (args.importer !== MAIN || args.kind !== 'dynamic-import' || KEPT.has(args.path)) return undefined;
      const name = args.path.slice(2, -3);
      commands.push(name);
      return { path: name, namespace: 'herald-command' };
    });
    b.onLoad({ filter: /.*/, namespace: 'herald-command' }, (args) => ({
      contents: `import { loadCommand } from ${JSON.stringify(join(ROOT, 'tools/sea-command-loader.ts'))};\nexport default loadCommand(${JSON.stringify(args.path)}).default;`,
      loader: 'js', resolveDir: ROOT,
    }));
  },
};
/** In a subcommand's bundle, the modules in SHARED are the dispatcher's. */
const sharedFromDispatcher: Plugin = {
  name: 'shared-from-dispatcher',
  setup(b) {
    const ids = new Map(Object.entries(SHARED).map(([id, { file }]) => [join(ROOT, file), id]));
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const id = ids.get(resolve(args.resolveDir, args.path));
      return id === undefined ? undefined : { path: id, external: true };
    });
  },
};
await build({ ...cjs, entryPoints: [join(ROOT, 'tools/sea-entry.ts')], outfile: join(OUT, 'herald.cjs'), plugins: [commandsAsAssets] });
const assets: Record<string, string> = { 'udp-worker.mjs': join(OUT, 'udp-worker.mjs') };
for (const name of commands) {
  const outfile = join(OUT, commandAsset(name));
  await build({ ...cjs, entryPoints: [join(ROOT, `src/cli/${name}.ts`)], outfile, plugins: [sharedFromDispatcher] });
  assets[commandAsset(name)] = outfile;
}
writeFileSync(join(OUT, 'sea-config.json'), JSON.stringify({
  main: join(OUT, 'herald.cjs'), output: join(OUT, 'herald.blob'), disableExperimentalSEAWarning: true, useCodeCache: true, assets,
}));
quiet(process.execPath, ['--experimental-sea-config', join(OUT, 'sea-config.json')]);
// Injected into a scratch copy, then copied into place as an install would: run straight after postject
// rewrote it, the file's cached pages made every process map ~16 MB more of it (RSS 58 MB for an idle script
// against 42 MB for node or for a copy; Linux 6.18 here), which is not what an installed executable costs.
const injected = join(OUT, 'herald.injected');
copyFileSync(process.execPath, injected);
quiet(join(ROOT, 'node_modules/.bin/postject'), [injected, 'NODE_SEA_BLOB', join(OUT, 'herald.blob'), '--sentinel-fuse', FUSE]);
copyFileSync(injected, executable);
rmSync(injected);
chmodSync(executable, 0o755);
const mb = (statSync(executable).size / 1e6).toFixed(1);
process.stdout.write(`built ${executable} for ${platform} (Node ${process.versions.node}), ${mb} MB: it runs only on ${platform}\n`);
