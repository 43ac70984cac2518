#!/usr/bin/env node
// Launcher: Herald's CLI is TypeScript that Node >= 24 runs directly. On an
// older Node (a machine's system Node 20), re-run it with the Node 24 that
// the `node` devDependency installed, forwarding signals and the exit code.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
const dist = join(here, '..', 'dist', 'cli', 'main.js');
const source = join(here, '..', 'src', 'cli', 'main.ts');

if (major >= 24 && !here.includes('node_modules')) {
  const { runProcess } = await import(source);
  await runProcess();
} else {
  let entry = source;
  let runtime = process.execPath;
  try {
    await import('node:fs').then((fs) => fs.accessSync(dist));
    entry = dist;
  } catch {
    const require = createRequire(import.meta.url);
    runtime = join(dirname(require.resolve('node/package.json')), 'bin', 'node');
  }
  const child = spawn(runtime, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
