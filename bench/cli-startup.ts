// Figure: start-up of the single executable (build/herald) against its
// anchors in one run: the npm package's launcher as installed (bin/herald.js
// over dist/, with its compile cache, bench/lib/package-layout.ts), `node
// dist/cli/main.js` (the package's CLI without the launcher, on the same
// Node 24) and `node -e 0` (Node itself, the floor). Each runs
// `--help` and a `dig` against a local BIND, interleaved, a fixed count of
// times; prints the executable's size, medians and p90s, and the ratios.
// Builds dist/ and the executable first if they are missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bind } from '../test/fixtures/bind.ts';
import { packageLayout } from './lib/package-layout.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXE = join(ROOT, 'build/herald');
const DIST = join(ROOT, 'dist/cli/main.js');
const RUNS = 20;

if (!existsSync(DIST)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
if (!existsSync(EXE)) execFileSync('npm', ['run', 'build:sea'], { cwd: ROOT, stdio: 'ignore' });

const bind = await Bind.start([{ origin: 'pkg.example', records: 'web 60 IN A 10.7.0.1\n' }]);
const dir = await mkdtemp(join(tmpdir(), 'herald-startup-'));
try {
  const BIN = await packageLayout(dir, ROOT);
  const dig = ['dig', `@${bind.address}`, '-p', String(bind.port), '+short', 'web.pkg.example', 'A'];
  const subjects: [string, string, string[]][] = [
    ['executable --help', EXE, ['--help']],
    ['package --help', process.execPath, [BIN, '--help']],
    ['node dist --help', process.execPath, [DIST, '--help']],
    ['executable dig', EXE, dig],
    ['package dig', process.execPath, [BIN, ...dig]],
    ['node dist dig', process.execPath, [DIST, ...dig]],
    ['node -e 0', process.execPath, ['-e', '0']],
  ];
  const times = new Map<string, number[]>(subjects.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, command, args] of subjects) {
      const t0 = performance.now();
      const r = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr.toString()}`);
      times.get(name)!.push(ms);
    }
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  const median = (name: string) => q(times.get(name)!, 0.5);
  console.log(`executable: ${(statSync(EXE).size / 1e6).toFixed(1)} MB (Node ${process.versions.node}, ${process.platform}-${process.arch}); ${RUNS} runs each, interleaved`);
  for (const [name] of subjects) console.log(`${name.padEnd(20)} p50 ${median(name).toFixed(1).padStart(6)} ms   p90 ${q(times.get(name)!, 0.9).toFixed(1).padStart(6)} ms`);
  console.log(`ratio executable / node dist: --help ${(median('executable --help') / median('node dist --help')).toFixed(2)}x, dig ${(median('executable dig') / median('node dist dig')).toFixed(2)}x`);
  console.log(`ratio package launcher / node dist: --help ${(median('package --help') / median('node dist --help')).toFixed(2)}x, dig ${(median('package dig') / median('node dist dig')).toFixed(2)}x`);
  console.log(`ratio executable / node -e 0: --help ${(median('executable --help') / median('node -e 0')).toFixed(2)}x`);
} finally {
  await bind.stop();
  await rm(dir, { recursive: true, force: true });
}
