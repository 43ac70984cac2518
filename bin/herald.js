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

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);

if (!existsSync(source)) {
  const { runProcess } = await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href);
  await runProcess();
} else if (major >= 24) {
  const { runProcess } = await import(pathToFileURL(source).href);
  await runProcess();
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
