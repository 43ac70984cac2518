#!/usr/bin/env node
// Launcher. Installed as a package (no src/ beside it) Herald runs the
// compiled dist/ in this process, on whatever Node the user has (package.json
// `engines`). In the checkout it runs the TypeScript sources: directly on
// Node >= 24, otherwise re-run with the Node 24 that the `node`
// devDependency installed, forwarding signals and the exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);

// A sidecar runs V8's interpreter only (src/cli/lean-runtime.ts says why), from before anything is
// imported: loading even the dispatcher's few modules first got Maglev going, whose code then stayed
// resident (2.2 MB of a sidecar's RSS). The same flags as lean-runtime.ts's (a test checks).
if (process.argv[2] === 'sidecar') for (const flag of ['--no-turbofan', '--no-maglev', '--no-sparkplug']) setFlagsFromString(flag);

async function start(cli, extension) {
  const { runProcess } = await import(pathToFileURL(join(cli, `main${extension}`)).href);
  await runProcess();
}

if (!existsSync(source)) {
  await start(join(root, 'dist', 'cli'), '.js');
} else if (major >= 24) {
  await start(dirname(source), '.ts');
} else {
  const require = createRequire(import.meta.url);
  const runtime = join(dirname(require.resolve('node/package.json')), 'bin', 'node');
  const child = spawn(runtime, [source, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
