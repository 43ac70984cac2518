// Figure: what running a health check's stdoutMatch in a worker thread (with
// its time bound) costs per check, against the anchor in the same run: the
// same pattern tested on the event loop (what registrar did, unbounded).
// Two stdouts: a short "ok" line, and 1 MiB (registrar's stdout limit).
// Plus the worker's first start (once per process). Bounded: 200 matches each.
//
//   node_modules/.bin/node bench/sidecar-match.ts
import { BoundedMatcher } from '../src/sidecar/bounded-match.ts';

const N = 200;
const cases = [
  { name: 'short stdout', pattern: '^ok$', flags: 'm', text: 'status\nok\n' },
  { name: '1 MiB stdout', pattern: '^ok$', flags: 'm', text: `${'x'.repeat(1024 * 1024 - 4)}\nok\n` },
];

const matcher = new BoundedMatcher();
let t0 = performance.now();
await matcher.match('^ok$', 'm', 'ok', 5000);
console.log(`worker start + first match: ${(performance.now() - t0).toFixed(1)} ms (once per process)`);

for (const c of cases) {
  // Anchor: on the event loop.
  const re = new RegExp(c.pattern, c.flags);
  t0 = performance.now();
  let found = 0;
  for (let i = 0; i < N; i++) if (re.test(c.text)) found++;
  const inline = (performance.now() - t0) / N;
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const r = await matcher.match(c.pattern, c.flags, c.text, 5000);
    if ('found' in r && r.found) found++;
  }
  const bounded = (performance.now() - t0) / N;
  if (found !== 2 * N) throw new Error(`expected every match to succeed, got ${found} of ${2 * N}`);
  console.log(`${c.name}: bounded ${(bounded * 1000).toFixed(0)} µs per check, on the event loop ${(inline * 1000).toFixed(0)} µs (anchor); ratio ${(bounded / inline).toFixed(1)}x, ${((bounded - inline) * 1000).toFixed(0)} µs more per check`);
}
await matcher.close();
