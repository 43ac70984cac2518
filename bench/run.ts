// Runs every bench/<part>-<figure>.ts (all but this file), one after another
// so they do not disturb each other's figures, forwarding their output.
// Exits non-zero if any of them failed; the rest still run.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
// Only names of the bench form: scratch files (`_x.ts`, `x.tmp.ts`) are not figures.
const benches = readdirSync(here).filter((f) => f !== self && /^[a-z0-9]+(-[a-z0-9]+)+\.ts$/.test(f)).sort();

const failed: string[] = [];
for (const file of benches) {
  console.log(`\n== ${file}`);
  const t0 = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(here, file)], { stdio: 'inherit' });
    child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    child.once('error', () => resolve(1));
  });
  console.log(`== ${file}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (code !== 0) failed.push(file);
}
console.log(`\n${benches.length - failed.length} of ${benches.length} benches ran${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exitCode = failed.length ? 1 : 0;
