import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { NO_OPTIMISING_TIERS } from '../../src/cli/lean-runtime.ts';

// `herald sidecar` turns V8's optimising tiers off for itself (issue 16: its
// footprint is paid in every zone). A child process shows it: a function made
// hot and asked to be optimised stays in the interpreter only after
// interpretOnly().

const run = promisify(execFile);
const dir = await mkdtemp(join(tmpdir(), 'herald-lean-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const script = join(dir, 'probe.mjs');
await writeFile(script, `import { interpretOnly } from ${JSON.stringify(pathToFileURL('src/cli/lean-runtime.ts').href)};
if (process.argv[2] === 'lean') interpretOnly();
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }
for (let i = 0; i < 2000; i++) hot(1000);
%PrepareFunctionForOptimization(hot); hot(10); %OptimizeFunctionOnNextCall(hot); hot(10);
console.log(%GetOptimizationStatus(hot));
`);

/** V8's optimisation status of the hot function. */
async function probe(mode: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--allow-natives-syntax', script, mode]);
  return Number(stdout);
}

// V8's %GetOptimizationStatus bits (src/runtime/runtime.h).
const OPTIMIZED = 16, MAGLEVVED = 32, TURBOFANNED = 64, INTERPRETED = 128;

t.test('after interpretOnly() a hot function stays in the interpreter', async (t) => {
  const status = await probe('lean');
  t.ok(status & INTERPRETED, `interpreted (status ${status.toString(2)})`);
  t.notOk(status & (OPTIMIZED | MAGLEVVED | TURBOFANNED), 'not optimised');
});

t.test('without it the same function is optimised (the probe can tell)', async (t) => {
  const status = await probe('full');
  t.ok(status & OPTIMIZED, `optimised (status ${status.toString(2)})`);
});

t.test("the launcher sets the same flags for a sidecar before it imports anything", async (t) => {
  const launcher = await readFile('bin/herald.js', 'utf8');
  const line = launcher.split('\n').find((l) => l.startsWith("if (process.argv[2] === 'sidecar')"));
  t.ok(line, 'bin/herald.js sets flags for the sidecar at its top level');
  const list = /of (\[[^\]]*\])/.exec(line!)![1]!;
  t.same(JSON.parse(list.replaceAll("'", '"')), NO_OPTIMISING_TIERS);
});
