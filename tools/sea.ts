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
import { build, type Plugin } from 'esbuild';
import { CJS, COMMON, otherCommands, ROOT, thirdPartyNotices } from './bundle-options.ts';
import { commandAsset, SHARED } from './sea-command-loader.ts';

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
const carried = new Set<string>();
const bundle = async (options: Parameters<typeof build>[0]) => { for (const input of Object.keys((await build({ ...options, metafile: true })).metafile.inputs)) carried.add(input); };
await bundle({ ...COMMON, entryPoints: [join(ROOT, 'src/server/udp-worker.ts')], format: 'esm', outfile: join(OUT, 'udp-worker.mjs') });
const commands: string[] = [];
/** The dispatcher's import('./<name>.ts') of a subcommand becomes loadCommand('<name>'). */
const commandsAsAssets = otherCommands((name) => `import { loadCommand } from ${JSON.stringify(join(ROOT, 'tools/sea-command-loader.ts'))};\nexport default loadCommand(${JSON.stringify(name)}).default;`, commands);
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
await bundle({ ...CJS, entryPoints: [join(ROOT, 'tools/sea-entry.ts')], outfile: join(OUT, 'herald.cjs'), plugins: [commandsAsAssets] });
const assets: Record<string, string> = { 'udp-worker.mjs': join(OUT, 'udp-worker.mjs') };
for (const name of commands) {
  const outfile = join(OUT, commandAsset(name));
  await bundle({ ...CJS, entryPoints: [join(ROOT, `src/cli/${name}.ts`)], outfile, plugins: [sharedFromDispatcher] });
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
// The dependencies it carries, with their licenses, to ship beside it.
writeFileSync(`${executable}.LICENSES.txt`, `The executable is Node.js ${process.version} (its license: https://github.com/nodejs/node/blob/${process.version}/LICENSE) with Herald's bundle injected.\n\n${thirdPartyNotices(carried)}`);
const mb = (statSync(executable).size / 1e6).toFixed(1);
process.stdout.write(`built ${executable} for ${platform} (Node ${process.versions.node}), ${mb} MB: it runs only on ${platform}\n`);
